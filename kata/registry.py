"""The one list of topics, in teaching order.

README tables, the grader's points and the CLI's hints all read from here.
A topic enters this list when its exercise, tests, solution and catalogue of
known mistakes are all in place: the self-checks run over every entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    number: int
    title: str
    points: int  # per test of this task
    hints: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    sections: str  # where the tutorial covers it
    tasks: tuple[Task, ...]

    def task(self, number: int) -> Task:
        for task in self.tasks:
            if task.number == number:
                return task
        raise KeyError(f"{self.name} has no task {number}")


TOPICS: tuple[Topic, ...] = (
    Topic(
        name="processes",
        title="Child processes with multiprocessing.Process",
        sections="1.1, 1.3",
        tasks=(
            Task(1, "Run a function in a child process", 1, (
                "ctx.Process(target=..., args=..., kwargs=...) describes the child; start() creates it.",
                "args is a tuple of positional arguments: (item,) with the comma — (item) is just item.",
                "run() calls the target in the current process; only start() makes a new one.",
            )),
            Task(2, "Look at a process before, during and after", 1, (
                "pid and exitcode are None until the process has been started, and exitcode until it has ended.",
                "is_alive is a method: call it, is_alive(), or you get the method object, which is always true.",
            )),
            Task(3, "Read how a process ended", 1, (
                "exitcode is None while the process runs; join() first, then read it.",
                "0: returned; 1: an uncaught exception; N: sys.exit(N); -N: ended by signal N.",
                "terminate() only sends SIGTERM; join() afterwards waits until the process is gone and reaps it.",
            )),
            Task(4, "Send a result back to the parent", 2, (
                "Processes share no memory: a variable the child sets stays in the child.",
                "Pass a ctx.Queue to a module-level target as an argument; the child put()s the result there.",
                "get() the result before join(): a child whose large result nobody reads cannot end.",
            )),
            Task(5, "A Process subclass with its own run()", 2, (
                "Subclass multiprocessing.Process and override run(); start() calls run() in the child.",
                "Call super().__init__() first in your __init__, so the Process part of the object exists.",
            )),
        ),
    ),
    Topic(
        name="join",
        title="Waiting for workers with join()",
        sections="1.2, 2.3",
        tasks=(
            Task(1, "Start them all, then join them all", 2, (
                "join() waits until that one worker has finished.",
                "start(); join(); start(); join() runs the workers one after another: a plain loop, "
                "paid for with threads.",
                "Two loops: one that starts every thread, then one that joins every thread.",
            )),
            Task(2, "The same with processes", 2, (
                "A Process has the same start() and join() as a Thread.",
                "Make every child with mp_context.Process(target=work, args=(label, *common_args)); the "
                "target must be a module-level function, which work already is.",
                "After join(), process.exitcode holds how the child ended: 0 when all went well.",
            )),
            Task(3, "Wait with a limit: join(timeout) and is_alive()", 2, (
                "join(timeout) returns after at most timeout seconds, whether or not the worker has finished.",
                "join() always returns None: it never tells you which of the two happened.",
                "Ask worker.is_alive() after the join(timeout): still alive means the wait ran out.",
            )),
        ),
    ),
    Topic(
        name="daemons",
        title="Daemon processes end with the program",
        sections="1.4",
        tasks=(
            Task(1, "Start a helper as a daemon", 1, (
                "A daemon is an ordinary child with daemon=True: the program stops it when its main code ends.",
                "Set daemon before start(): ctx.Process(..., daemon=True); a started process cannot change.",
            )),
            Task(2, "Daemons end with the program; other children are waited for", 2, (
                "At the end of the main code, multiprocessing terminates every daemon child, then joins the others.",
                "Only the helper is a daemon; the job is an ordinary child.",
                "Start both and return them; joining either one here would wait for it now.",
            )),
            Task(3, "A daemon cannot have children", 2, (
                "start() inside a daemon raises AssertionError: 'daemonic processes are not allowed to have children'.",
                "Catch it inside the daemon and put ('refused', str(error)) on a queue; the parent get()s it.",
                "Pass the queue to the daemon in args: a queue made at module level is a new one in each spawned child.",
            )),
        ),
    ),
    Topic(
        name="process_locks",
        title="Process locks: one file, many processes",
        sections="1.5",
        tasks=(
            Task(1, "Keep a worker's lines together", 1, (
                "Another process can write between your two lines unless a lock keeps it out.",
                "Open the file in append mode, write the first line and flush() it, call between(), "
                "then write and flush the second.",
                "Put both writes and the call to between() inside one `with lock:` block.",
            )),
            Task(2, "One lock, passed to every process", 2, (
                "Processes share no memory: a lock reaches a child only as a Process argument.",
                "Call lock_factory() once, in the parent, before the loop that makes the processes.",
                "A module-level lock works under fork only: spawn and forkserver import the module afresh "
                "in each child, and each gets its own lock.",
                "Start every process first, then join them all; return [p.exitcode for p in processes].",
            )),
            Task(3, "A counter in shared memory", 2, (
                "A multiprocessing.Value lives in shared memory; pass the Value itself to each child.",
                "counter.value += 1 is a read and a write, each locked on its own: another process fits in between.",
                "Hold `with counter.get_lock():` across the read, between() and the write.",
            )),
        ),
    ),
    Topic(
        name="ssh",
        title="Remote commands and files over SSH with paramiko",
        sections="1.6",
        tasks=(
            Task(1, "Run a command, log in with a password", 1, (
                "paramiko.SSHClient(): load_host_keys(known_hosts), then connect(host, port, username=..., "
                "password=..., look_for_keys=False, allow_agent=False).",
                "exec_command() gives stdin, stdout, stderr: write stdin, then stdin.channel.shutdown_write() "
                "so the command sees the end of its input.",
                "Read stdout and stderr to their end first, and only then ask for "
                "stdout.channel.recv_exit_status(): unread output stops the command.",
                "run_command() closes the client in a `finally:` block, whatever happened.",
            )),
            Task(2, "Log in with a key file", 1, (
                "paramiko.PKey.from_path(key_path) loads an Ed25519, RSA or ECDSA private key.",
                "Pass it as connect(..., pkey=key) and keep look_for_keys=False, allow_agent=False so only "
                "that key is tried.",
            )),
            Task(3, "Trust only the hosts you know", 1, (
                "A host key proves which machine answered; known_hosts is the list you trust.",
                "Never AutoAddPolicy: it trusts whoever answers first. RejectPolicy refuses unknown hosts.",
                "paramiko raises SSHException for an unknown host and BadHostKeyException for a changed key: "
                "turn them into UnknownHostKeyError and HostKeyChangedError.",
            )),
            Task(4, "Copy files with SFTP over a Transport", 1, (
                "paramiko.Transport(sock); transport.connect(hostkey=key_from_known_hosts, username=..., "
                "password=...); paramiko.SFTPClient.from_transport(transport).",
                "sftp.put(local, remote) and sftp.get(remote, local); close the SFTP client and the "
                "transport in `finally:` blocks.",
                "sftp.get() creates the local file before it learns the remote one is missing: sftp.stat() "
                "it first.",
            )),
            Task(5, "One command on many hosts with a thread pool", 2, (
                "Each host is independent and mostly waits on the network: threads fit.",
                "ThreadPoolExecutor(max_workers=max_workers) runs at most that many hosts at a time.",
                "Catch each host's exception inside the function the pool runs, and return it as that "
                "host's value: one failed host must not lose the others.",
            )),
            Task(6, "Give up in time", 1, (
                "Without timeout=, a host that accepts the TCP connection and stays silent keeps connect() "
                "waiting for its banner (15 s by default); pass timeout= (and banner_timeout=, auth_timeout=).",
                "exec_command(command, timeout=t) makes reading the output raise TimeoutError after t "
                "seconds of silence.",
                "A timed-out command still runs on the server until its connection closes: close it.",
            )),
        ),
    ),
    Topic(
        name="threads",
        title="Starting threads: a function, a Thread subclass, shared memory",
        sections="2.1, 2.2",
        tasks=(
            Task(1, "A thread from a function", 1, (
                "threading.Thread(target=..., args=..., name=...) only describes the thread; start() runs it.",
                "target takes the function itself, not a call: target=work, never target=work(label).",
                "args must be a tuple: (label,) with the comma; (label) is just label in brackets.",
                "Return the thread once started; the caller joins it when it wants to wait.",
            )),
            Task(2, "A thread from a Thread subclass", 2, (
                "A subclass that defines __init__ must let threading.Thread set itself up: "
                "super().__init__(name=label) comes first.",
                "Put the work in run(); the inherited start() makes the new thread and calls run() inside it.",
                "Overriding start() runs your code in the caller's thread: no new thread is ever made.",
            )),
            Task(3, "Names and current_thread()", 1, (
                "threading.current_thread() is the thread running that very line.",
                "threading.main_thread() is always the main thread, whoever asks.",
                "A thread's ident is what threading.get_ident() returns inside it.",
            )),
            Task(4, "Threads share memory; a child process has its own", 2, (
                "A thread runs inside your process: it sees and changes the very objects you gave it.",
                "A child process works on a copy (fork copies memory, spawn and forkserver pickle the "
                "arguments): its changes never come back.",
                "Make the child with mp_context.Process(target=work, args=(data,)); start(), join(), "
                "then return process.exitcode.",
            )),
        ),
    ),
    Topic(
        name="locks",
        title="Mutual exclusion with threading.Lock",
        sections="2.4, 2.5",
        tasks=(
            Task(1, "A counter that loses no update", 2, (
                "A read-modify-write (read the value, compute, write it back) is three steps; "
                "another thread can run between any two of them.",
                "Make one lock per counter, in __init__, with self._lock = lock_factory().",
                "Hold the lock from the read through the write: put both inside one `with self._lock:` block, "
                "and call between() inside it too.",
            )),
            Task(2, "Lock the critical section, not the whole job", 2, (
                "The work needs no lock: only report() touches shared state.",
                "Start every thread first, then join them all; start-join-start-join runs one after another.",
                "Inside each thread: result = work(name) with no lock held, then `with lock: report(name, result)`.",
            )),
            Task(3, "Release the lock when the critical section raises", 2, (
                "If between() raises, the code after it never runs: a release() written there is skipped.",
                "`with self._lock:` releases on the way out, whether the block returns or raises.",
            )),
            Task(4, "Give up after a timeout; look without touching", 2, (
                "lock.acquire(timeout=t) waits at most t seconds and returns False if it got nothing.",
                "Only release what you acquired: check acquire()'s return value first.",
                "lock.locked() tells whether somebody holds the lock, without waiting for it.",
            )),
            Task(5, "One lock shared by several methods", 2, (
                "increment() and decrement() change the same value, so they are one critical section in two places.",
                "Use self._lock in both; a second lock would let them run over each other.",
            )),
        ),
    ),
    Topic(
        name="gil",
        title="The GIL: threads for waiting, processes for computing",
        sections="2.6",
        tasks=(
            Task(1, "Threads for waiting", 2, (
                "A thread that waits (for the network, a file, a sleep) releases the GIL, so others run meanwhile.",
                "One threading.Thread per item; start them all, then join them all.",
                "Keep each result at its item's index: results[index] = work(item).",
            )),
            Task(2, "Processes for computing", 2, (
                "Pure-Python computing holds the GIL: threads take turns; processes each have an interpreter "
                "(and compute in parallel on a free-threaded build too).",
                "ProcessPoolExecutor(max_workers=len(items), mp_context=mp_context, initializer=initializer, "
                "initargs=initargs).",
                "pool.map(work, items) returns the results in the order of the items; use the pool in a with-block.",
            )),
            Task(3, "Choose the executor by the kind of work", 2, (
                "CPU-bound work wants processes; IO-bound work wants threads.",
                "Return the executor without using it: the caller submits work and shuts it down.",
                "Anything but 'cpu' or 'io' is a mistake of the caller: raise ValueError.",
            )),
            Task(4, "Ask whether this Python has the GIL", 1, (
                "Python 3.13+ answers sys._is_gil_enabled(); a free-threaded build says False.",
                "Older Pythons lack the function, and all of them have the GIL: "
                "getattr(sys, '_is_gil_enabled', None).",
            )),
        ),
    ),
    Topic(
        name="deadlocks",
        title="Deadlocks, lock order and the re-entrant lock",
        sections="2.7",
        tasks=(
            Task(1, "Take two locks in one global order", 2, (
                "Two threads that take the same two locks in opposite orders can each hold one and wait "
                "forever for the other.",
                "If every thread takes its locks in the same order, nobody can hold the second while "
                "waiting for the first.",
                "first, second = sorted((source, target), key=lambda account: account.name), then "
                "`with first.lock:` ... between() ... `with second.lock:` move the money.",
            )),
            Task(2, "Detect with a timeout, and back off", 2, (
                "target.lock.acquire(timeout=timeout) returns False instead of waiting forever.",
                "On False, give the first lock back before you wait: holding it while backing off keeps "
                "the other thread stuck.",
                "A loop of attempts: `with source.lock:` try the second lock; on success move the money and "
                "return the attempt number; after the with-block call backoff(attempt) and go round again.",
            )),
            Task(3, "An RLock from a Lock: owner and count", 2, (
                "A re-entrant lock remembers who holds it (threading.get_ident()) and how many times.",
                "In acquire(): if you are the owner, count += 1 and return True; otherwise take the "
                "underlying lock (pass blocking and timeout on), then become the owner with count 1.",
                "In release(): count -= 1; only at zero forget the owner and release the underlying lock.",
                "locked() asks whether anybody holds the RLock, not whether you do: ask the underlying "
                "lock, self._lock.locked().",
            )),
            Task(4, "Only the owner releases", 2, (
                "threading.RLock raises RuntimeError when a thread that does not own it calls release().",
                "Check `self._owner != threading.get_ident()` first thing in release().",
                "A thread that does not own the lock waits on the underlying lock, so "
                "self._lock.acquire(blocking, timeout) gives it the same try and timeout behaviour.",
            )),
            Task(5, "A recursive function guarded by one lock", 1, (
                "add_nested() holds the lock and calls add_nested() and add(), which take it again.",
                "A plain Lock makes the thread wait for itself; an RLock lets its owner in again.",
                "self._lock = (lock_factory or RLock)(), and `with self._lock:` in both methods.",
            )),
        ),
    ),
    Topic(
        name="semaphores",
        title="Semaphores: at most N at a time",
        sections="2.8",
        tasks=(
            Task(1, "A semaphore from a condition", 2, (
                "A semaphore is a count of free places: acquire() takes one, release() gives one back.",
                "Hold the condition for every look at the value; `while self._value == 0: self._cond.wait()`.",
                "release() raises the value and calls self._cond.notify(n), or the waiters sleep on.",
            )),
            Task(2, "Try without waiting; wait with a limit", 2, (
                "blocking=False: return False where you would have waited.",
                "A timeout is for the whole call: keep a deadline (time.monotonic() + timeout) and pass what "
                "is left to wait(); give up with False once it is used up.",
                "release(n) wakes n waiters: notify(n).",
            )),
            Task(3, "At most N at once, and N really at once", 2, (
                "One semaphore_factory(limit) shared by every thread; `with semaphore: work(name)` in each.",
                "A Lock is a semaphore of 1: it lets one in at a time. Semaphore(limit + 1) lets one too many in.",
                "Start every thread, then join them all.",
            )),
            Task(4, "A bounded semaphore refuses an extra release", 1, (
                "A release() without a matching acquire() makes a Semaphore bigger, silently; a "
                "BoundedSemaphore raises ValueError.",
                "Remember the initial value; under the condition, check value + n against it before adding.",
            )),
        ),
    ),
    Topic(
        name="events",
        title="Events: one thread tells the others to go",
        sections="2.9",
        tasks=(
            Task(1, "An Event built from a Condition", 2, (
                "An Event is a flag plus a Condition: the flag says whether it is set, the Condition lets "
                "threads sleep until it changes.",
                "Make the condition once, in __init__: self._cond = condition_factory(). Change the flag "
                "only while holding it (`with self._cond:`).",
                "set() must wake every sleeper: notify_all(), not notify().",
                "wait(): if the flag is set, return True; otherwise return self._cond.wait(timeout) — its "
                "result says whether set() woke you, even if clear() ran since.",
            )),
            Task(2, "Cars wait for green", 1, (
                "Each car is a thread: green.wait(), then cross(name).",
                "Don't loop on green.is_set() with a sleep: wait() blocks without burning the CPU and wakes "
                "the moment the light changes.",
                "Return the started threads without joining them: they are waiting for a green light that "
                "only the caller can give.",
            )),
            Task(3, "A client that retries, then gives up", 1, (
                "Count the tries: `while not ready.is_set():` check the count, then ready.wait(timeout).",
                "A wait() without a timeout never gives up; pass timeout every time.",
                "attempts=3 means exactly three waits before ConnectionError: check where the count is "
                "compared and with < or <=.",
            )),
            Task(4, "The light's schedule, on a clock you can stop", 1, (
                "One cycle lasts red + green seconds; elapsed % (red + green) says where you are in it.",
                "Red for [0, red), green for [red, red + green): green begins at exactly `red` seconds.",
                "clock=None as the default, and `self._clock = clock or time.monotonic` inside __init__: "
                "a default of time.monotonic is bound once and freezegun cannot replace it.",
            )),
            Task(5, "The light thread", 1, (
                "Loop: read schedule.elapsed(), set() or clear() green for its state, then wait.",
                "Wait with stop.wait(schedule.seconds_to_change(elapsed)): it returns True the moment stop "
                "is set, so the light can be switched off; time.sleep() cannot.",
                "Red needs green.clear(): without it the light stays green for ever after the first change.",
            )),
        ),
    ),
    Topic(
        name="timers",
        title="Timers: run it later, unless cancelled",
        sections="2.10",
        tasks=(
            Task(1, "A Timer runs its function once, later, in its own thread", 2, (
                "A Timer is a Thread: class Timer(threading.Thread), super().__init__() first.",
                "Put the waiting and the call in run(): start() runs run() in the new thread and returns "
                "at once.",
                "Wait with self.finished.wait(self.interval), not time.sleep(): an Event's wait can be cut "
                "short by cancel().",
                "Call self.function(*self.args, **self.kwargs), with () and {} when args and kwargs are None.",
            )),
            Task(2, "Cancel before it fires means never", 2, (
                "cancel() only sets self.finished.",
                "After the wait, look: if self.finished.is_set(), somebody cancelled — don't call.",
            )),
            Task(3, "A repeating timer that keeps time and stops", 1, (
                "Keep the time the next call is due: start + interval, then add interval after each call.",
                "Wait for what is left until then, due - clock(), never less than 0: waiting a whole interval "
                "after each call makes the timer drift by the length of the calls.",
                "Loop `while not self.finished.wait(...)`: the wait returns True once cancel() set it.",
            )),
            Task(4, "Deadlines and back-off plans on a clock you can stop", 1, (
                "clock=None, then `self._clock = clock or time.monotonic` inside __init__: freezegun can replace "
                "time.monotonic only if you look it up when the call runs.",
                "remaining() is max(0.0, expires_at - clock()).",
                "Each delay is min(delay, cap, what is left); stop once the delays add up to the remaining time.",
            )),
        ),
    ),
    Topic(
        name="queues",
        title="Queues: FIFO, LIFO, priority, producers and consumers",
        sections="2.11",
        tasks=(
            Task(1, "FIFO, LIFO and priority order", 1, (
                "queue.Queue is first in, first out; queue.LifoQueue is a stack; queue.PriorityQueue gives the "
                "smallest first.",
                "Every one of them takes maxsize: pass it on, or put() never waits.",
                "drain(): a loop of q.get_nowait() that stops at `except queue.Empty`; a plain get() would wait.",
            )),
            Task(2, "Priority is not the item's own order", 2, (
                "PriorityQueue compares whole entries; a tuple compares its first element first.",
                "Put (priority, tie_breaker, item): priority first, never the item.",
                "With equal priorities the next element decides: make it next(itertools.count()), so the items "
                "themselves are never compared and equal priorities leave in arrival order.",
            )),
            Task(3, "A consumer that stops at its sentinel", 2, (
                "Loop: item = q.get(); if item is STOP, stop.",
                "Every get() needs exactly one task_done(), the sentinel's get() too.",
                "Call task_done() after handle(item) has finished (try/finally), never right after get().",
            )),
            Task(4, "Several producers, several consumers", 2, (
                "One queue, made once with queue_factory(maxsize), shared by every thread.",
                "Join the producers before you put the sentinels: an item put after them has nobody left to take it.",
                "Put one STOP per consumer: each consumer stops at the first it gets, so one sentinel stops one "
                "consumer.",
            )),
            Task(5, "A Queue of your own: order and size", 1, (
                "A collections.deque: append() at the back, popleft() from the front.",
                "full() is 0 < self.maxsize <= len(items); a maxsize of 0 never fills.",
                "block=False never waits: raise queue.Full or queue.Empty (import them from queue) straight away.",
            )),
            Task(6, "Waiting on a Condition: blocking put and get", 2, (
                "A waiting put() sleeps on one Condition, a waiting get() on another; both share the queue's lock.",
                "cond.wait_for(predicate, timeout) loops and counts the time left for you; it returns False when "
                "time ran out.",
                "After put() adds an item, notify the Condition get() waits on; after get() takes one, notify the "
                "Condition put() waits on.",
            )),
            Task(7, "task_done and join", 2, (
                "Count unfinished tasks: +1 in put(), -1 in task_done().",
                "join() waits until that count is 0 — not until the queue is empty.",
                "task_done() below 0 is a ValueError; at 0 it must notify_all(): several threads may be joining.",
            )),
        ),
    ),
    Topic(
        name="pools",
        title="Process and thread pools with concurrent.futures",
        sections="2.12",
        tasks=(
            Task(1, "Submit everything, then collect in input order", 2, (
                "pool.submit(fn, item) returns a Future at once; the work runs in the pool.",
                "Submit every item first and keep the futures in a list; only then call result() on each.",
                "as_completed() hands futures back in the order they finish; your list of futures keeps "
                "the order you submitted them in (so does pool.map).",
            )),
            Task(2, "An exception in a task surfaces from result()", 1, (
                "A task's exception is stored in its future; future.result() raises it in your thread.",
                "Don't catch it to carry on with None: let it reach the caller.",
            )),
            Task(3, "Crawl pages concurrently, parse each in a done-callback", 2, (
                "Submit fetch(url) for every url, then future.add_done_callback(callback): the callback "
                "gets the finished future as its only argument.",
                "Bind the url with functools.partial(record, url); a lambda over the loop variables sees "
                "only their last values.",
                "Callbacks run in several pool threads at once: one lock (lock_factory(), made once) around "
                "the whole write.",
                "An exception inside a callback is only logged: check future.exception() before result().",
            )),
            Task(4, "Bound the pool, and shut it down", 2, (
                "max_workers is the most tasks a pool runs at once; without it you get a default size.",
                "`with executor(max_workers=max_workers) as pool:` shuts the pool down with wait=True when "
                "the block ends: every task and callback has finished.",
                "For processes pass mp_context=, initializer= and initargs= to ProcessPoolExecutor unchanged: "
                "a lambda can't be pickled for a spawn or forkserver child.",
            )),
            Task(5, "Stop early: cancel what has not started", 1, (
                "as_completed() gives you the first finished task first.",
                "pool.shutdown(wait=True, cancel_futures=True) cancels every task still waiting in the queue "
                "and waits for the running ones.",
            )),
        ),
    ),
)


def names() -> list[str]:
    return [topic.name for topic in TOPICS]


def get(name: str) -> Topic:
    for topic in TOPICS:
        if topic.name == name:
            return topic
    import difflib

    close = difflib.get_close_matches(name, names(), n=3, cutoff=0.6)
    guess = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    raise KeyError(f"no topic named {name!r}; {guess}the topics are: {', '.join(names())}")
