import pytest

from tests.support import make_personas, make_tree


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def personas(tree):
    return make_personas(tree)


@pytest.fixture(autouse=True)
def fresh_progress_cache():
    """Job ids start again in every test's database; their progress must too."""
    from django.core.cache import caches

    caches["progress"].clear()
    yield
