"""The first failure a student sees names the mistake they made.

tests/test_topics.py proves that each catalogued mistake fails some test whose
message names it. A student reads the first red test, though (``-x`` stops
there), so here the first failing test in test-file order must name it. Both
files read the same shared runs (tests/runs.py): this check costs no run.

MISNAMED lists the mistakes whose first failure does not name them yet, with
what that failure says instead. It can only shrink: an entry whose first
failure now names its mistake fails here until it is taken off the list.
"""
from __future__ import annotations

import pytest

from tests.catalogue import all_cases

# (topic, mistake) -> the test that fails first today, and why its message does not name the mistake.
MISNAMED: dict[tuple[str, str], str] = {
}


def first_failure(run) -> dict | None:
    """The failed record that comes first in the order pytest collected (and ran) the tests."""
    order = {nodeid: index for index, nodeid in enumerate(run.collected)}
    failed = sorted(run.failed, key=lambda record: order.get(record["nodeid"], len(order)))
    return failed[0] if failed else None


def shown(record: dict) -> str:
    return f"{record['nodeid'].split('::')[-1]}: {record['message'][:400]}"


@pytest.mark.timeout(3600)  # waits for whole topic runs, which the engine bounds itself
@pytest.mark.parametrize("topic, mistake", all_cases(), ids=lambda value: getattr(value, "name", value))
def test_the_first_failure_names_the_mistake(runs, topic, mistake):
    run = runs.get("mistake", topic, mistake.name)
    first = first_failure(run)
    assert first is not None, f"mistake {mistake.name!r} passed every {topic} test, so no failure can name it"
    names_it = mistake.expect in first["message"]
    if (topic, mistake.name) in MISNAMED:
        assert not names_it, (f"mistake {mistake.name!r} ({topic}) is listed in MISNAMED, but its first failure "
                              f"now says {mistake.expect!r}: remove it from the list in {__file__}")
        return
    naming = [record["nodeid"].split("::")[-1] for record in run.failed if mistake.expect in record["message"]]
    assert names_it, (f"mistake {mistake.name!r} ({topic}): the first failing test does not say "
                      f"{mistake.expect!r}; a student who runs -x reads only this:\n  {shown(first)}\n"
                      f"tests that do name it, later in the file: {naming or 'none'}")


def test_every_misnamed_entry_is_a_catalogued_mistake():
    catalogued = {(topic, mistake.name) for topic, mistake in all_cases()}
    stale = sorted(set(MISNAMED) - catalogued)
    assert not stale, f"MISNAMED in {__file__} lists mistakes the catalogue no longer has; remove them: {stale}"
