"""How long tests wait. None of these is a claim about speed.

A correct solution never waits for these to run out; only a wrong one does.
They are generous because a loaded two-core machine can pause a runnable
thread for a long time, and a test must never fail a correct solution.
"""

# Waiting for something a correct solution does promptly (a thread to finish,
# a worker to arrive): long enough that only a hang reaches it.
HANG = 10.0

# How long a thread or child the test holds at a gate waits before it leaves on
# its own, and any wait that must outlast the test's own HANG: only so that
# nothing outlives a test killed before its cleanup. Under spawn on a loaded
# machine a child may still be starting when the test looks.
HELD = 3 * HANG

# Waiting for workers to meet at a rendezvous: only serial (wrong) code
# reaches it, and every mistake in the catalogue pays it, so keep it moderate.
OVERLAP = 5.0

# How long a probe holds a gap open when it cannot see what the other threads
# are doing (they use no spied lock): correct solutions pay this once.
BRIEF = 0.05
