"""The stall proof across processes: what the test's child processes, and its pipes, let happen.

A child process can end a wait of the test's (it writes to a queue's pipe, it
exits, it releases a shared lock), so a live child used to keep the stall
detector quiet. The proof reaches the children instead: the test's process and
its live descendants (the tree) cannot move when every thread of the tree is
asleep in a wait that only a member of the tree could end:

- a futex wait (a lock, semaphore, condition, a thread's join) without a
  timeout, or with a deadline the kernel holds (read from the timespec the
  wait passed, as kata.stall does for the test's own threads);
- wait4 for a child that is in the tree (``Process.join()`` under fork);
- read, write or poll without a timeout on pipes that no process outside the
  tree holds (a multiprocessing Queue, a Process sentinel): nobody else can
  fill or drain them; a poll may also wait on pidfds (``os.pidfd_open``) of
  processes in the tree, for their end;
- a wait on a loopback TCP connection whose other end a server of the test
  holds (kata.stall.served_connection): only that server's handler, a thread
  of the test, can answer; a timed poll on one says how long it waits, and
  kata.stall bounds from below when it began.

multiprocessing's helpers (a forkserver, a resource tracker: the test's own,
or those of a program the test runs) are children too, but wait on sockets
anyone may reach. What wakes them cannot end a test's wait (a request for a
new child, a resource to clean up), and what can (a forkserver reports a
child's exit on its sentinel) starts in the tree. So they may hold the tree's
pipes, but they must be asleep, and must not run between the two readings: a
helper that runs may be picking up a pipe end still in flight on a socket,
which no /proc listing shows.

Anything else keeps the proof from being made: any other socket (anyone may
connect or answer), a file, a terminal, a timed poll or select, a thread that runs or is
stopped, a pipe held by a process outside the tree, a /proc entry this process
may not read. Every reading here is of one moment; kata.stall reads twice and
proves nothing ran in between.
"""
from __future__ import annotations

import math
import os
import platform
import struct
from dataclasses import dataclass

import psutil

# System call numbers (see /proc/<pid>/task/<tid>/syscall); aarch64 has no poll, only ppoll.
_CALLS = {
    "x86_64": {"read": 0, "write": 1, "poll": 7, "nanosleep": 35, "recvfrom": 45, "wait4": 61, "futex": 202,
               "clock_nanosleep": 230, "ppoll": 271},
    "aarch64": {"read": 63, "write": 64, "nanosleep": 101, "clock_nanosleep": 115, "recvfrom": 207, "wait4": 260,
                "futex": 98, "ppoll": 73},
}.get(platform.machine(), {})
CALL = {number: name for name, number in _CALLS.items()}
FUTEX = _CALLS.get("futex")
FUTEX_WAIT, FUTEX_WAIT_BITSET = 0, 9  # futex commands (the op without its private and clock flags)
FUTEX_CLOCK_REALTIME = 256  # a BITSET wait's absolute deadline is on CLOCK_REALTIME, not CLOCK_MONOTONIC
POLLFD = struct.Struct("ihh")  # struct pollfd: int fd; short events; short revents


@dataclass(frozen=True)
class Sleep:
    """One thread as /proc shows it at one moment."""
    state: str
    switches: int
    futex: bool = False  # in a futex wait
    deadline: float | None = None  # when its wait times out (time.monotonic()); inf: never; None: not known
    pipes: frozenset | None = None  # the pipes (inodes) an untimed read, write or poll waits on
    reaps: int | None = None  # the child an untimed wait4 waits for
    ends: frozenset = frozenset()  # the processes (pids) whose end an untimed poll on their pidfds waits for
    sockets: frozenset | None = None  # the sockets (inodes) a read or poll waits on, beside its pipes
    timeout: float | None = None  # a timed poll's length (seconds from its start, which /proc does not show)

    @property
    def untimed(self) -> bool:
        return self.futex and self.deadline == math.inf

    @property
    def on_the_tree(self) -> bool:
        """In a wait that only a member of the tree could end, if its pipes and child are the tree's."""
        return self.pipes is not None or self.reaps is not None or self.sockets is not None


def task(tid: int, pid: int | str = "self") -> tuple[str, int, list[str]] | None:
    """Thread ``tid`` of process ``pid`` now: its state, context switches and system call line; None if unreadable."""
    base = f"/proc/{pid}/task/{tid}"
    try:
        with open(f"{base}/status") as file:
            switches = sum(int(line.split()[1]) for line in file if "ctxt_switches:" in line)
        with open(f"{base}/stat") as file:
            state = file.read().rsplit(")", 1)[1].split()[0]
        with open(f"{base}/syscall") as file:
            call = file.read().split()
    except (OSError, ValueError, IndexError):
        return None
    return state, switches, call


def started(tid: int, pid: int | str = "self") -> int | None:
    """When thread ``tid`` of process ``pid`` started, in clock ticks since boot; None once it has ended."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stat") as file:
            return int(file.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def read(tid: int, pid: int | str = "self") -> Sleep | None:
    """Thread ``tid`` of process ``pid`` now; None when /proc will not say."""
    now = task(tid, pid)
    if now is None:
        return None
    state, switches, call = now
    try:
        name, args = CALL.get(int(call[0])), [int(arg, 16) for arg in call[1:7]]
    except (ValueError, IndexError):  # "running", or a thread between system calls
        return Sleep(state, switches)
    if name == "futex" and len(args) >= 4:
        op, timeout = args[1], args[3]
        if op & 0x7F not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            return Sleep(state, switches)
        deadline = math.inf if timeout == 0 else _futex_deadline(pid, op, timeout)
        return Sleep(state, switches, futex=True, deadline=deadline)
    if name in ("read", "write", "recvfrom") and args:
        pipes, sockets = _channels(pid, [args[0]])
        if sockets is not None:
            return Sleep(state, switches, deadline=math.inf, pipes=pipes, sockets=sockets)
        return _on_pipes(state, switches, pipes if name != "recvfrom" else None)
    if name in ("poll", "ppoll") and len(args) >= 3:
        untimed = _poll_timeout_is_none(name, args[2])
        fds = _poll_fds(pid, args[0], args[1]) or []
        pipes, sockets = _channels(pid, fds)
        if sockets is not None:  # a server's connection, maybe: kata.stall decides
            timeout = None if untimed else _poll_timeout(pid, name, args[2])
            if untimed or timeout is not None:
                return Sleep(state, switches, deadline=math.inf if untimed else None, pipes=pipes, sockets=sockets,
                             timeout=timeout)
        if not untimed:
            return Sleep(state, switches)
        ends = {fd: _pidfd_target(pid, fd) for fd in fds}
        pipes = _pipes(pid, [fd for fd in fds if ends[fd] is None]) if None in ends.values() else frozenset()
        sleep = _on_pipes(state, switches, pipes if fds else None)
        return Sleep(sleep.state, sleep.switches, deadline=sleep.deadline, pipes=sleep.pipes,
                     ends=frozenset(end for end in ends.values() if end is not None))
    if name == "wait4" and args and 0 < args[0] < 2 ** 31:  # one child: -1 and process groups are left out
        return Sleep(state, switches, deadline=math.inf, reaps=args[0])
    return Sleep(state, switches)


def _on_pipes(state: str, switches: int, pipes: frozenset | None) -> Sleep:
    return Sleep(state, switches, deadline=math.inf if pipes is not None else None, pipes=pipes)


def _memory(pid, address: int, size: int) -> bytes | None:
    try:
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            data = os.pread(fd, size, address)
        finally:
            os.close(fd)
    except OSError:
        return None
    return data if len(data) == size else None


def _futex_deadline(pid, op: int, address: int) -> float | None:
    """A BITSET wait's deadline, read from the sleeping thread's timespec; None if it cannot be known.

    (A plain FUTEX_WAIT's timeout is relative to a start this cannot see.)
    """
    import time

    if op & 0x7F != FUTEX_WAIT_BITSET:
        return None
    data = _memory(pid, address, 16)
    if data is None:
        return None
    seconds, nanoseconds = struct.unpack("qq", data)
    deadline = seconds + nanoseconds / 1e9
    if op & FUTEX_CLOCK_REALTIME:
        deadline += time.monotonic() - time.time()
    return deadline


def _poll_timeout_is_none(name: str, timeout: int) -> bool:
    if name == "poll":  # an int: negative waits for ever
        return bool(timeout & 0x80000000)
    return timeout == 0  # ppoll: a NULL timespec waits for ever


def _poll_timeout(pid, name: str, timeout: int) -> float | None:
    """A timed poll's length in seconds (poll: milliseconds; ppoll: a relative timespec in its memory)."""
    if name == "poll":
        return (timeout & 0xFFFFFFFF) / 1000
    data = _memory(pid, timeout, 16)
    if data is None:
        return None
    seconds, nanoseconds = struct.unpack("qq", data)
    return seconds + nanoseconds / 1e9


def _channels(pid, fds) -> tuple[frozenset | None, frozenset | None]:
    """The pipe inodes and the socket inodes behind ``fds``; (None, None) unless each is one or the other."""
    pipes, sockets = set(), set()
    for fd in fds:
        link = f"/proc/{pid}/fd/{fd}"
        inode = _inode(link, "pipe")
        if inode is not None:
            pipes.add(inode)
            continue
        inode = _inode(link, "socket")
        if inode is None:
            return None, None
        sockets.add(inode)
    return (frozenset(pipes) if pipes else None), (frozenset(sockets) if sockets else None)


def tcp_peers(inodes) -> dict[int, int | None]:
    """For each socket inode of this process, the inode of the other end of its TCP connection, if it is
    a connection on this machine (/proc/self/net/tcp and tcp6 list both ends); else None."""
    if not inodes:
        return {}
    rows = {}
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as file:
                next(file, None)
                for line in file:
                    fields = line.split()
                    if len(fields) >= 10 and fields[3] == "01":  # ESTABLISHED
                        rows[int(fields[9])] = (fields[1], fields[2])
        except (OSError, ValueError):
            return dict.fromkeys(inodes)
    ends = {ends: inode for inode, ends in rows.items()}
    return {inode: ends.get(rows[inode][::-1]) if inode in rows else None for inode in inodes}


def _poll_fds(pid, address: int, count: int) -> list[int] | None:
    if not 0 < count <= 64:
        return None
    data = _memory(pid, address, POLLFD.size * count)
    if data is None:
        return None
    return [fd for fd, _events, _revents in POLLFD.iter_unpack(data) if fd >= 0]


def _pipes(pid, fds) -> frozenset | None:
    """The pipe inodes behind ``fds``; None unless every one of them is a pipe."""
    if not fds:
        return None
    inodes = set()
    for fd in fds:
        inode = _inode(f"/proc/{pid}/fd/{fd}", "pipe")
        if inode is None:
            return None
        inodes.add(inode)
    return frozenset(inodes)


def _pidfd_target(pid, fd: int) -> int | None:
    """The process a pidfd refers to (polling it waits for that process to end); None if ``fd`` is no pidfd."""
    try:
        if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:[pidfd]":
            return None
        with open(f"/proc/{pid}/fdinfo/{fd}") as file:
            for line in file:
                if line.startswith("Pid:"):
                    target = int(line.split()[1])
                    return target if target > 0 else None
    except (OSError, ValueError, IndexError):
        return None
    return None


def _inode(link: str, kind: str) -> int | None:
    """The inode of the ``kind`` ("pipe" or "socket") a /proc fd link names; None if it names anything else."""
    try:
        target = os.readlink(link)
    except OSError:
        return None
    opening = f"{kind}:["
    if not (target.startswith(opening) and target.endswith("]")):
        return None
    return int(target[len(opening):-1])


def descendants() -> dict[int, list[int]] | None:
    """This process's live descendants: pid -> its thread ids; None if unreadable."""
    found = {}
    try:
        for child in psutil.Process().children(recursive=True):
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    continue
                found[child.pid] = sorted(int(name) for name in os.listdir(f"/proc/{child.pid}/task"))
            except psutil.NoSuchProcess:
                continue  # gone: it can end nobody's wait any more (its exit is seen by the second reading)
    except (psutil.Error, OSError):
        return None
    return found


# How multiprocessing starts its helpers (``python -c "from multiprocessing.forkserver import main; ..."``):
# a program the test runs has helpers of its own, as the test's process does.
_HELPER_MAINS = ("from multiprocessing.forkserver import main", "from multiprocessing.resource_tracker import main")


def multiprocessing_helpers(pids) -> set[int]:
    """Which of ``pids`` are a forkserver or a resource tracker, by their command line.

    A forkserver's children are forked, not executed: they show its command line too, and are
    told apart by their parent, which shows the same one.
    """
    commands = {pid: _command(pid) for pid in pids}
    return {pid for pid, command in commands.items()
            if command is not None and any(main in command for main in _HELPER_MAINS)
            and _command(_parent(pid)) not in (command, None)}  # a parent unknown: not told apart


def _command(pid: int | None) -> str | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().decode(errors="replace")
    except OSError:
        return None


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return int(file.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _same_user(pid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


def pipes_held_only_by(inodes: set[int], tree: set[int]) -> bool:
    """Whether no process outside ``tree`` (pids) holds any of these pipes (every process is looked at)."""
    if not inodes:
        return True
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return False
    me = os.getpid()
    for pid in pids:
        if pid in tree or pid == me:
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue  # ended meanwhile
        except PermissionError:
            if _same_user(pid):
                return False  # one of ours that we may not look at: it might hold one
            continue  # another user's: an anonymous pipe reaches it only through the tree, or on purpose
        except OSError:
            return False
        for fd in fds:
            link = f"/proc/{pid}/fd/{fd}"
            if _inode(link, "pipe") in inodes or _inode(link, "socket") in inodes:
                return False
    return True


def describe(tree: dict[tuple[int, int], Sleep], kata_waits=None) -> str:
    """The child processes of a stall, one line each: what their threads wait in.

    ``kata_waits``: what the kata's own waits in them wait for, by (pid, tid).
    """
    kata_waits = kata_waits or {}
    by_pid: dict[int, list[str]] = {}
    for (pid, tid), sleep in sorted(tree.items()):
        by_pid.setdefault(pid, []).append(kata_waits[pid, tid] + " (the kata's wait)" if (pid, tid) in kata_waits
                                          else _doing(sleep))
    lines = []
    for pid, sleeps in by_pid.items():
        try:
            name = psutil.Process(pid).name()
        except psutil.Error:
            name = "a child"
        doing = "; ".join(dict.fromkeys(sleeps))
        lines.append(f"  child process {pid} ({name}), {len(sleeps)} thread(s): {doing}")
    return "\n".join(lines)


def _doing(sleep: Sleep) -> str:
    if sleep.reaps is not None:
        return f"waits for its child {sleep.reaps} to end (join)"
    if sleep.ends:
        return f"waits for process {', '.join(map(str, sorted(sleep.ends)))} to end"
    if sleep.pipes is not None:
        return "waits on a pipe nobody else will touch (a Queue's get or put, a join)"
    if sleep.deadline is not None and sleep.deadline < math.inf:
        return "waits with a timeout"
    return "waits, with no timeout, for a lock, a semaphore or a thread"
