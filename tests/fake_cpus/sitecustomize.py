"""Make this interpreter, and every one it starts, report KATA_FAKE_CPU_COUNT cores.

``python -m tests.stress TOPIC --cpu-count N`` puts this folder on PYTHONPATH:
Python imports ``sitecustomize`` at start-up, so the pytest process, spawned
and forkserver children and any subprocess see the same count (fork children
inherit it). No verdict may change with it.
"""
import os

_count = os.environ.get("KATA_FAKE_CPU_COUNT")
if _count:
    def _fake_cpu_count(count=int(_count)):
        return count

    os.cpu_count = _fake_cpu_count
    if hasattr(os, "process_cpu_count"):
        os.process_cpu_count = _fake_cpu_count
    if hasattr(os, "sched_getaffinity"):
        os.sched_getaffinity = lambda pid, count=int(_count): set(range(count))
