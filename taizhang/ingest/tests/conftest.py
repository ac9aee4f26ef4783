import pytest


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are asserted in English (msgids); test_messages checks the Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
