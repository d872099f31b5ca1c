"""The tree under test, importable by a real dotted name.

``kata.impl.<topic>.<topic>`` is the module of whichever tree was selected
(``exercises``, ``solutions`` or ``--impl PATH``). The selection travels in the
KATA_IMPL environment variable, so a child process started with ``spawn`` or
``forkserver`` re-imports the very same tree when it unpickles its target.
"""
import os

from kata.trees import ENV_VAR, EXERCISES

__path__ = [os.environ.get(ENV_VAR) or str(EXERCISES)]
