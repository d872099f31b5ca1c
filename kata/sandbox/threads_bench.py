"""The many-threads case that decided the sandbox's transport, kept as a repro.

N judge threads each call a sandbox function 20 times; that function takes a
judge-side lock and, holding it, calls a judge callback. Every call crosses the
process boundary twice more (acquire, callback, release), from a different
sandbox thread each time, so a transport that serves callbacks with fewer
threads than there are callers stalls here. Pyro5 (a proxy per thread, the
judge's callbacks served by its daemon's thread pool) is measured; rpyc 6 with
``bind_threads`` for comparison when it is installed.

    python -m kata.sandbox.threads_bench [--runs 5] [--threads 2,4,8,16,32] [--rpyc]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import threading
import time

CALLS = 20
BOUND = 30.0  # a run that has not finished by then is counted as hung


def _race(caller, threads: int) -> tuple[float, bool]:
    """Run ``caller`` in that many daemon threads at once: the seconds they took, and whether any hung."""
    workers = [threading.Thread(target=caller, daemon=True) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + BOUND
    for worker in workers:
        worker.join(max(deadline - time.monotonic(), 0))
    return time.perf_counter() - start, any(worker.is_alive() for worker in workers)


# -- Pyro5 ------------------------------------------------------------------------

def _pyro_sandbox(socket_path: str, ready) -> None:
    import Pyro5.api

    Pyro5.api.config.THREADPOOL_SIZE = 256
    Pyro5.api.config.THREADPOOL_SIZE_MIN = 1
    local = threading.local()

    def judge(uri):
        proxies = local.__dict__.setdefault("proxies", {})
        if uri not in proxies:
            proxies[uri] = Pyro5.api.Proxy(uri)
        return proxies[uri]

    @Pyro5.api.expose
    class Sandbox:
        def run(self, judge_uri):
            j = judge(judge_uri)
            j.acquire()
            try:
                return j.callback(threading.current_thread().name)
            finally:
                j.release()

    daemon = Pyro5.api.Daemon(unixsocket=socket_path)
    daemon.register(Sandbox, "sandbox")
    ready.set()
    daemon.requestLoop()


def pyro_run(threads: int, workdir: str) -> tuple[str, float]:
    import Pyro5.api

    Pyro5.api.config.THREADPOOL_SIZE = 256
    Pyro5.api.config.THREADPOOL_SIZE_MIN = 1
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    sandbox_socket = os.path.join(workdir, "sandbox.sock")
    child = ctx.Process(target=_pyro_sandbox, args=(sandbox_socket, ready), daemon=True)
    child.start()
    lock = threading.Lock()
    count = [0]

    @Pyro5.api.expose
    class Judge:
        def acquire(self):
            lock.acquire()

        def release(self):
            lock.release()

        def callback(self, name):
            count[0] += 1
            return name

    daemon = Pyro5.api.Daemon(unixsocket=os.path.join(workdir, "judge.sock"))
    judge_uri = str(daemon.register(Judge, "judge"))
    server = threading.Thread(target=daemon.requestLoop, daemon=True)
    server.start()
    try:
        if not ready.wait(BOUND):
            return "no start", 0.0
        errors = []

        def caller():
            proxy = Pyro5.api.Proxy(f"PYRO:sandbox@./u:{sandbox_socket}")
            try:
                for _ in range(CALLS):
                    proxy.run(judge_uri)
            except Exception as exc:
                errors.append(exc)
            finally:
                proxy._pyroRelease()

        elapsed, hung = _race(caller, threads)
        if hung:
            return "hung", elapsed
        if errors or count[0] != threads * CALLS:
            return f"error {errors[:1]!r}", elapsed
        return "ok", elapsed
    finally:
        child.kill()
        child.join()
        daemon.shutdown()
        server.join(BOUND)
        daemon.close()


# -- rpyc 6 -------------------------------------------------------------------------

def _rpyc_sandbox(socket_path: str, ready) -> None:
    import rpyc
    from rpyc.utils.server import ThreadedServer

    class Sandbox(rpyc.Service):
        def exposed_run(self, acquire, release, callback):
            acquire()
            try:
                return callback(threading.current_thread().name)
            finally:
                release()

    server = ThreadedServer(Sandbox, socket_path=socket_path,
                            protocol_config={"bind_threads": True, "sync_request_timeout": BOUND})
    ready.set()
    server.start()


def rpyc_run(threads: int, workdir: str) -> tuple[str, float]:
    import rpyc

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    path = os.path.join(workdir, "rpyc.sock")
    child = ctx.Process(target=_rpyc_sandbox, args=(path, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(BOUND):
            return "no start", 0.0
        conn = None
        while conn is None:  # the server listens only once start() runs
            try:
                conn = rpyc.utils.factory.unix_connect(path, config={"bind_threads": True,
                                                                     "sync_request_timeout": BOUND})
            except ConnectionRefusedError:
                time.sleep(0.01)
        bg = rpyc.BgServingThread(conn)
        lock = threading.Lock()
        errors = []
        count = [0]

        def callback(name):
            count[0] += 1
            return name

        def caller():
            try:
                for _ in range(CALLS):
                    conn.root.run(lock.acquire, lock.release, callback)
            except Exception as exc:
                errors.append(exc)

        elapsed, hung = _race(caller, threads)
        if not hung:
            bg.stop()
            conn.close()
        if hung:
            return "hung", elapsed
        if errors or count[0] != threads * CALLS:
            return f"error {errors[:1]!r}"[:60], elapsed
        return "ok", elapsed
    finally:
        child.kill()
        child.join()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", default="2,4,8,16,32")
    parser.add_argument("--rpyc", action="store_true", help="measure rpyc 6 too")
    args = parser.parse_args(argv)
    transports = [("pyro5", pyro_run)] + ([("rpyc6", rpyc_run)] if args.rpyc else [])
    print(f"{'transport':10} {'threads':>7} {'ok':>4} {'hung':>4} {'error':>5} {'ms/call':>8}")
    for label, run in transports:
        for n in (int(x) for x in args.threads.split(",")):
            outcomes, times = [], []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as workdir:
                    outcome, elapsed = run(n, workdir)
                outcomes.append(outcome)
                if outcome == "ok":
                    times.append(elapsed * 1000 / (n * CALLS))
            ms = f"{sum(times) / len(times):.2f}" if times else "-"
            print(f"{label:10} {n:7} {outcomes.count('ok'):4} {outcomes.count('hung'):4} "
                  f"{sum(o.startswith('error') for o in outcomes):5} {ms:>8}", flush=True)
            for o in set(outcomes) - {"ok", "hung"}:
                print(f"    {o}")


if __name__ == "__main__":
    main()
