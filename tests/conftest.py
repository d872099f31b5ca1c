import pytest

from tests.runs import Runs


@pytest.fixture(scope="session")
def runs():
    shared = Runs()
    yield shared
    shared.close()
