import pytest

from tests.runs import Runs


@pytest.fixture(scope="session")
def runs(request):
    # Start only the runs that the selected tests will ask for, all at once.
    wanted = {item.callspec.params.get("topic") for item in request.session.items
              if "runs" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")} - {None}
    shared = Runs(wanted)
    yield shared
    shared.close()
