import pytest


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English (msgids); answers follow Accept-Language."""
    from django.utils import translation

    with translation.override("en"):
        yield
