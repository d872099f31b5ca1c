"""The sandbox: the topic module runs in a process of its own, the judge only holds proxies.

The transport is Pyro5 over Unix sockets, chosen by ``threads_bench``: with a
proxy per thread on both sides, every sandbox thread that calls back into the
judge is served by a judge thread of its own, so forced interleavings behave
as in one process. rpyc 6 with ``bind_threads`` hung in that case.
"""

# The topics whose tests run under --sandbox; the others say so instead of running half-judged.
SUPPORTED = frozenset({"locks", "semaphores", "timers", "events", "threads", "deadlocks", "processes", "join",
                       "daemons", "process_locks", "gil", "pools"})
