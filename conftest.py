import pytest

from tests.support import make_personas, make_tree


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def personas(tree):
    return make_personas(tree)
