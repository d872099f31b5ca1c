"""Which mutants change code the stub already gives the student, and so prove nothing about the tests.

A line of the reference solution that the stub (exercises/<topic>/<topic>.py)
also holds, in the same function or class, is given: the signatures and their
defaults, the data types, their properties. A test that told a mutant of such
a line from the solution would pass against the stub, which every test must
fail, so the mutation benchmark skips these mutants instead of counting them.

The rule: every source line the mutant changes, stripped, occurs in the stub
inside a function or class of the same name (the innermost one, named as
cosmic-ray names a mutant's ``definition_name``; ``<module>`` outside all).
"""
from __future__ import annotations

MODULE = "<module>"


def given_lines(stub_source: str) -> dict[str, set[str]]:
    """For each innermost function or class name of the stub (or ``<module>``), its stripped source lines."""
    import parso
    from cosmic_ray.ast.ast_query import ASTQuery

    lines = stub_source.splitlines()
    given: dict[str, set[str]] = {}
    leaf = parso.parse(stub_source).get_first_leaf()
    while leaf is not None:
        if leaf.type != "endmarker":
            name = ASTQuery(leaf).get_definition_name() or MODULE
            given.setdefault(name, set()).add(lines[leaf.start_pos[0] - 1].strip())
        leaf = leaf.get_next_leaf()
    return given


def is_given(where: str, before: str, given: dict[str, set[str]]) -> bool:
    """Whether each changed line (``before``, one per line) is a line the stub holds in ``where``."""
    changed = [line for line in before.splitlines() if line]
    return bool(changed) and all(line in given.get(where, ()) for line in changed)
