"""The one upload policy (issue 19): type by name and content, the whole file holding
together, no markup a browser would run, per-file and per-request limits; downloads
never shown inline nor sniffed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from taizhang.core.uploads import attachment_response, check_upload, check_uploads
from tests.files import docx_bytes, jpeg_bytes, pdf_bytes, png_bytes


@pytest.fixture(autouse=True)
def english():
    """The messages are matched in English here; the catalogues are tested elsewhere."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("照片.png", png_bytes()),
        ("照片.JPG", jpeg_bytes()),
        ("报告.pdf", pdf_bytes()),
        ("材料.docx", docx_bytes()),
    ],
)
def test_real_files_pass(name, content):
    check_upload(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ\x90\x00", "only PDF"),
        ("page.html", b"<html></html>", "only PDF"),
        ("fake.pdf", b"<html>", "does not look like"),
        # Right first bytes, but not one file of its type.
        ("cut.pdf", b"%PDF-1.4\n1 0 obj", "does not look like"),
        ("cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "does not look like"),
        ("notazip.docx", b"PK\x03\x04" + b"\x00" * 40, "does not look like"),
        # The polyglot: a PDF that a browser would also render as a page.
        ("poly.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "does not"),
        ("poly.png", png_bytes()[:16] + b"<svg onload=alert(1)>" + png_bytes()[16:], "does not"),
    ],
)
def test_files_that_are_not_what_they_say_are_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        check_upload(SimpleUploadedFile(name, content))


def test_limits_per_file_and_per_request(settings):
    settings.TAIZHANG_UPLOAD_MAX_BYTES = 1024
    settings.TAIZHANG_UPLOAD_MAX_TOTAL_BYTES = 2048
    settings.TAIZHANG_UPLOAD_MAX_FILES = 3
    big = SimpleUploadedFile("big.pdf", pdf_bytes("x" * 2000))
    with pytest.raises(ValidationError, match="larger than"):
        check_upload(big)
    # Three files each under the limit, together over it: the request is refused.
    parts = [SimpleUploadedFile(f"{i}.pdf", pdf_bytes("x" * 900)) for i in range(3)]
    with pytest.raises(ValidationError, match="together"):
        check_uploads(parts)
    many = [SimpleUploadedFile(f"{i}.png", png_bytes()) for i in range(4)]
    with pytest.raises(ValidationError, match="At most 3"):
        check_uploads(many)
    assert len(check_uploads(many[:3])) == 3


def test_errors_name_the_form_field_when_asked():
    with pytest.raises(ValidationError) as error:
        check_uploads([SimpleUploadedFile("a.exe", b"MZ")], field="attachments")
    assert "attachments" in error.value.message_dict


@pytest.mark.django_db  # closing a response sends request_finished, which reaches the db
def test_a_download_is_an_attachment_of_the_checked_type(tmp_path):
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf_bytes())
    response = attachment_response(path.open("rb"), "整改报告.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store, private"
    response.close()
