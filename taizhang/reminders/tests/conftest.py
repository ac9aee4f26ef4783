import pytest


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are asserted in English (msgids)."""
    from django.utils import translation

    with translation.override("en"):
        yield
