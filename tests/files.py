"""Small files that are what they say, for upload tests (core.uploads checks the whole
file, not only its first bytes)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def png_bytes() -> bytes:
    """A 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x99"))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "evidence") -> bytes:
    return f"%PDF-1.4\n%{text}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode()


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()
