import pytest

from tests.lib.qa.world import World


@pytest.fixture
def world(empty_db):
    return World(empty_db)
