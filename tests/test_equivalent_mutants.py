"""The checked-in list of equivalent mutants (kata/benchmarks/equivalent_mutants.toml) stays true.

The mutation benchmark (``kata bench mutation``) subtracts these survivors and
notices stale entries itself, but it is slow and not part of CI. This check is
cheap: every entry is well-formed and still points at source the solution has.
"""
from __future__ import annotations

import sys

import pytest

from kata import trees
from kata.benchmarks import mutation


def test_the_equivalent_mutant_list_is_well_formed_and_points_at_real_source():
    if sys.version_info < (3, 11):
        pytest.importorskip("toml", reason="reading TOML on Python 3.10 needs the mutation extra")
    try:
        equivalents = mutation.load_equivalents()
    except SystemExit as exc:
        pytest.fail(str(exc), pytrace=False)
    stale = []
    for topic, operator, where, before, after in equivalents:
        lines = {line.strip() for line in trees.module_path(trees.SOLUTIONS, topic).read_text(encoding="utf-8")
                 .splitlines()}
        missing = [part for part in before.splitlines() if part not in lines]
        if missing:
            stale.append(f"{topic} {operator} in {where}: solutions/{topic} no longer has {missing}")
    assert not stale, ("entries of kata/benchmarks/equivalent_mutants.toml whose source line is gone (remove "
                       "them, or run kata bench mutation and list the survivors anew):\n  " + "\n  ".join(stale))


def test_a_session_copied_from_another_folder_starts_anew(tmp_path):
    """A copied session still names the tree it was made in: kept, it would mutate that tree and judge its own."""
    pytest.importorskip("cosmic_ray", reason="the mutation benchmark needs the mutation extra")
    import shutil

    first, second = tmp_path / "first", tmp_path / "second"
    mutation.session("daemons", first)
    shutil.copytree(first, second)
    _, copy, database = mutation.session("daemons", second)
    assert mutation.mutates_only(database, copy), (
        f"a session copied from {first} into {second} was kept, and its mutants still go into {first}'s tree: "
        "every mutant would be judged unmutated and survive")
    _, copy, database = mutation.session("daemons", first)
    assert mutation.mutates_only(database, copy), f"the session made in {first} was not kept for {first}"


STUB = '''
def transfer(source, target, amount, *, timeout=5.0):
    raise NotImplementedError

class Account:
    def __init__(self, name, balance=0):
        self.name = name
'''


def test_a_line_the_stub_holds_is_given_and_a_line_only_the_solution_has_is_not():
    pytest.importorskip("cosmic_ray", reason="the mutation benchmark needs the mutation extra")
    from kata.benchmarks import stub_given

    given = stub_given.given_lines(STUB)
    assert stub_given.is_given("transfer", "def transfer(source, target, amount, *, timeout=5.0):", given), (
        "a mutant of a signature the stub holds was not skipped: a test that killed it would pass against the stub")
    assert stub_given.is_given("__init__", "def __init__(self, name, balance=0):\nself.name = name", given), (
        "a mutant that changes two lines, both held by the stub in the same method, was not skipped")
    assert not stub_given.is_given("transfer", "with source.lock:", given), (
        "a line only the solution has was skipped as given: its mutants would go untested")
    assert not stub_given.is_given("__init__", "def __init__(self, name, balance=0):\nself.total = 0", given), (
        "a mutant that changes a line only the solution has, beside a given one, was skipped as given")
    assert not stub_given.is_given("transfer", "self.name = name", given), (
        "a line the stub holds in another function was taken as given here: the rule must keep to one definition")


def test_no_equivalent_entry_is_a_line_the_stub_gives():
    """The benchmark skips those mutants, so such an entry would never match a survivor again."""
    pytest.importorskip("cosmic_ray", reason="the mutation benchmark needs the mutation extra")
    from kata.benchmarks import stub_given

    given = [f"{topic} {operator} in {where}: {before!r}"
             for topic, operator, where, before, after in mutation.load_equivalents()
             if stub_given.is_given(where, before, stub_given.given_lines(
                 trees.module_path(trees.EXERCISES, topic).read_text(encoding="utf-8")))]
    assert not given, ("entries of kata/benchmarks/equivalent_mutants.toml change a line the stub already holds; "
                       "the benchmark skips those mutants, so remove the entries:\n  " + "\n  ".join(given))
