"""``python -m kata.sandbox``: the sandbox process (kata.sandbox.process).

Started by this name because a child that the code under test starts with spawn
re-imports its parent's ``__main__`` by name unless that is a package's
``__main__``: so the sandbox's children do not load its server again.
"""
from kata.sandbox.process import main

main()
