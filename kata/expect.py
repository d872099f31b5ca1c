"""Expect an exception, and say what went wrong in words a student can act on.

``pytest.raises`` reports only "DID NOT RAISE ValueError". Here the test says
what it called and why that call must raise:

    with raises(ValueError, "Semaphore(-1)", "a semaphore cannot start below zero"):
        semaphores.Semaphore(-1)

A stub's NotImplementedError passes through untouched (it is a RuntimeError,
so a test expecting RuntimeError would otherwise swallow it), and the plugin
reports it as "not implemented yet".
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest


class Caught:
    """What the block raised, for the test to look at afterwards."""

    value: BaseException | None = None


@contextmanager
def raises(expected, what: str, why: str):
    """Pass if the block raises ``expected``; otherwise fail naming ``what`` was called and ``why`` it must raise."""
    names = " or ".join(e.__name__ for e in expected) if isinstance(expected, tuple) else expected.__name__
    caught = Caught()
    try:
        yield caught
    except NotImplementedError:
        raise
    except expected as exc:
        caught.value = exc
        return
    except Exception as exc:
        pytest.fail(f"{what} raised {type(exc).__name__}: {exc}; expected {names}: {why}", pytrace=False)
    pytest.fail(f"{what} raised nothing; expected {names}: {why}", pytrace=False)
