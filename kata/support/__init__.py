"""Per-topic helpers for the exercise tests, one module per topic.

Each holds the probes that let a test see and steer what student code does,
and the work that child processes run. Under spawn and forkserver a child
re-imports its target by name, so that work lives here at module level, and
this package imports nothing on its own.
"""
