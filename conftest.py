import pytest

from tests.support import make_personas, make_tree


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def personas(tree):
    return make_personas(tree)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Ids start again in every test's database; what is cached by id must too (a job's
    progress, a user's to-do count)."""
    from django.core.cache import caches

    caches["progress"].clear()
    caches["default"].clear()
    yield
