"""A real SSH server for the ssh topic: asyncssh on 127.0.0.1, in a background thread.

``ssh_server(root)`` is a context manager that starts one server; ``ssh_servers(root, n)``
starts several on one event loop (the many-hosts task). Each server has:

- a freshly generated Ed25519 host key, and a ``known_hosts`` line for it;
- one user (``student``) who logs in with a password or with a generated Ed25519
  key (the private key is written with mode 0600, as OpenSSH insists);
- exec requests that run real commands with ``/bin/sh`` in the server's own temp
  directory, with stdin, stdout, stderr and the exit status, each command in its
  own process group so that the whole group can be killed;
- an SFTP subsystem rooted in that directory.

The server tells the test what it saw: the connections open right now (to catch a
client that is never closed), how each login was made, which commands ran. A test
may set ``server.gate`` to an :class:`ExecGate` that every command passes through
before it runs; several servers sharing one gate is how a test proves that their
commands really ran at the same time.

Closing closes every client connection first (on Python 3.12+ ``wait_closed()``
waits for them), kills every command's process group, then stops the listener and
the loop. ``kata sshd`` runs the same server in the foreground to try by hand.
"""
from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import termios
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

import asyncssh

from kata import bounds

USERNAME = "student"
PASSWORD = "correct horse"
HOST = "127.0.0.1"
CHUNK = 32 * 1024

_loops: weakref.WeakSet = weakref.WeakSet()  # every ServerLoop of this process
_servers: weakref.WeakSet = weakref.WeakSet()  # every SSHTestServer of this process, while it serves


def loop_threads() -> set[threading.Thread]:
    """The threads of every server loop in this process: the servers' own, none of them a client's.

    With them the threads asyncio's child watcher (Python before 3.14, no pidfd) waits in for the
    commands to end, each to tell its loop.
    """
    policy = getattr(asyncio.events, "_event_loop_policy", None)  # read, not made: no warning on 3.14
    watcher = getattr(policy, "_watcher", None)
    return {thread for loop in list(_loops) for thread in loop.threads()} | set(
        getattr(watcher, "_threads", {}).values())


def serving() -> list[SSHTestServer]:
    """Every server of this process that has started and not closed."""
    return list(_servers)


class ServerLoop:
    """An asyncio event loop running in a daemon thread, driven from other threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="kata-sshd-loop", daemon=True)
        _loops.add(self)
        self._thread.start()

    def threads(self) -> set[threading.Thread]:
        """The threads serving this loop: its own, and its default executor's (asyncssh runs blocking calls there)."""
        executor = getattr(self.loop, "_default_executor", None)
        return {self._thread, *getattr(executor, "_threads", ())}

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro, timeout: float = bounds.HANG):
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn, *args) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def close(self) -> None:
        async def cancel_the_rest():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.call(cancel_the_rest())
            self.call(self.loop.shutdown_default_executor())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(bounds.HANG)
            if not self._thread.is_alive():
                self.loop.close()


class ExecGate:
    """Every command of the servers that share this gate waits here until ``parties`` are inside.

    Arrivals are counted in generations of ``parties`` (like ``threading.Barrier``),
    so with a pool of two workers and four hosts the gate opens twice. A generation
    not complete ``timeout`` after its first arrival breaks the gate: its commands
    are recorded in ``missed``, and so is everyone after: the commands did not run at the same
    time, and only the first one pays the wait. ``peak`` is the most commands
    that were ever inside at once. With ``hold``, the first generation stays
    inside until more than ``parties`` are in, or until ``release()`` (once it is
    proven that no more commands can come: kata.ssh_idle), or at the latest
    ``hold`` seconds, so a client that lets too many workers loose is seen doing
    it. ``holding`` says whether it is held now, ``held_until`` (time.monotonic())
    when the hold ends at the latest, ``let_go`` why it ended. ``waiting`` says
    which generation waits for company now (or None), ``company_until`` when that
    wait ends at the latest; ``no_company(generation)`` ends it at once, as if it
    had run out, once it is proven that no more commands can come (kata.ssh_idle).
    A ``timeline`` (kata.timeline) gets one span per command, from its arrival here
    to its end.
    """

    def __init__(self, parties: int, timeout: float = bounds.OVERLAP, hold: float = 0.0, timeline=None) -> None:
        self.parties = parties
        self.timeout = timeout
        self.hold = hold
        self.timeline = timeline
        self.inside = 0
        self.peak = 0
        self.met: list[str] = []
        self.missed: list[str] = []
        self.broken = False
        self.held_until: float | None = None
        self.company_until: float | None = None  # when the current generation's wait for company ends at the latest
        self.let_go: str | None = None  # why the hold ended: "crowded", "released" or "ran out"
        self._arrived = 0
        self._generations: dict[int, asyncio.Event] = {}
        self._ended: asyncio.Event | None = None  # the hold ends: crowded, or released
        self._alone: dict[int, asyncio.Event] = {}  # per generation: proven that no company can come
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    async def passing(self, who: str) -> None:
        """Called on the servers' loop by each command before it starts."""
        if self.timeline is not None:
            self.timeline.start(who)
        generation, place = divmod(self._arrived, self.parties)
        opened = self._generations.setdefault(generation, asyncio.Event())
        alone = self._alone.setdefault(generation, asyncio.Event())
        self._loop = asyncio.get_running_loop()
        ended = self._ended = self._ended or asyncio.Event()
        with self._lock:
            self._arrived += 1
            if place == 0:
                self.company_until = time.monotonic() + self.timeout  # before anyone can see it waiting
            until = self.company_until  # the generation waits for company from its first arrival on
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            if self.inside > self.parties and self.let_go is None:
                self.let_go = "crowded"
                ended.set()
        try:
            if self.broken:
                with self._lock:
                    self.missed.append(who)
                return
            if place == self.parties - 1:
                if generation == 0 and self.hold:
                    self.held_until = time.monotonic() + self.hold  # before anyone can see it held
                opened.set()
            if not await self._company(opened, alone, until):
                self.broken = True
                with self._lock:
                    self.missed.append(who)
                return
            with self._lock:
                self.met.append(who)
            if generation == 0 and self.hold:
                try:
                    await asyncio.wait_for(ended.wait(), self.held_until - time.monotonic())
                except asyncio.TimeoutError:
                    with self._lock:
                        self.let_go = self.let_go or "ran out"
                    ended.set()  # the others of the generation leave with it
        finally:
            with self._lock:
                self.inside -= 1

    @staticmethod
    async def _company(opened: asyncio.Event, alone: asyncio.Event, until: float) -> bool:
        """Whether the generation opened; False when its wait ran out, or no company could come."""
        waits = [asyncio.ensure_future(opened.wait()), asyncio.ensure_future(alone.wait())]
        try:
            await asyncio.wait(waits, timeout=max(0.0, until - time.monotonic()),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return opened.is_set()

    @property
    def waiting(self) -> int | None:
        """The generation whose commands wait here for company now, every one inside among them; else None."""
        with self._lock:
            generation, arrived = divmod(self._arrived, self.parties)
            if self.broken or not arrived or self.inside != arrived or self.company_until is None:
                return None
            return generation

    def no_company(self, generation: int) -> None:
        """End ``generation``'s wait for company now (from any thread): no more commands can come before it
        would run out anyway, and those waiting leave as if it had."""
        alone = self._alone.get(generation)
        if alone is None or self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(alone.set)
        except RuntimeError:  # the servers' loop has closed: nobody waits any more
            pass

    @property
    def holding(self) -> bool:
        """Whether the first generation is inside now, held: every one of its commands waits here."""
        with self._lock:
            return (self.held_until is not None and self.let_go is None and not self.broken
                    and self.inside == self.parties == len(self.met))

    def release(self) -> None:
        """End the hold now (from any thread): no more commands can come before it would end anyway."""
        with self._lock:
            if self.let_go is not None or self._ended is None:
                return
            self.let_go = "released"
        try:
            self._loop.call_soon_threadsafe(self._ended.set)
        except RuntimeError:  # the servers' loop has closed: nobody is held any more
            pass

    def finished(self, who: str) -> None:
        """Called when the command that passed ends."""
        if self.timeline is not None:
            self.timeline.end(who)

    @property
    def tripped(self) -> bool:
        return not self.missed and len(self.met) >= self.parties


class _Session(asyncssh.SSHServer):
    """One client connection: authentication, and bookkeeping for the server."""

    def __init__(self, server: SSHTestServer) -> None:
        self._server = server
        self._conn = None

    def connection_made(self, conn) -> None:
        self._conn = conn
        self._server._opened(conn)

    def connection_lost(self, exc) -> None:
        self._server._closed(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ok = username == self._server.username and password == self._server.password
        self._server._record_login(username, "password", ok)
        return ok

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key) -> bool:
        ok = (username == self._server.username
              and key.public_data == self._server.client_key.public_data)
        self._server._record_login(username, "publickey", ok)
        return ok


class SSHTestServer:
    """One SSH server on 127.0.0.1, on a :class:`ServerLoop`, serving from ``root``."""

    def __init__(self, loop: ServerLoop, root: Path, *, name: str = "server", username: str = USERNAME,
                 password: str = PASSWORD, keys_dir: Path | None = None) -> None:
        self.loop = loop
        self.name = name
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.host = HOST
        self.port = 0
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{username}@kata")
        keys_dir = Path(keys_dir) if keys_dir is not None else self.root.parent / f"{self.root.name}-keys"
        keys_dir.mkdir(parents=True, exist_ok=True)
        self.key_path = keys_dir / "id_ed25519"
        self.client_key.write_private_key(str(self.key_path))
        os.chmod(self.key_path, 0o600)  # asyncssh does not; OpenSSH's ssh refuses a key others can read
        self.known_hosts = keys_dir / "known_hosts"
        self.gate: ExecGate | None = None
        self.logins: list[tuple[str, str, bool]] = []  # (username, method, accepted)
        self.commands: list[str] = []
        self._connections: dict = {}  # open connection -> the client's (host, port)
        self._cond = threading.Condition()
        self._groups: set[int] = set()  # process groups of commands still running
        self._made = 0
        self._handlers: set = set()  # the tasks serving exec requests
        self._running: dict = {}  # the processes (exec requests) whose command runs now -> the command
        self._acceptor = None

    # -- what the server saw ------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def open_connections(self) -> int:
        with self._cond:
            return len(self._connections)

    @property
    def connections_made(self) -> int:
        with self._cond:
            return self._made

    def open_peers(self) -> set[tuple[str, int]]:
        """The client addresses (host, port) of the connections open right now."""
        with self._cond:
            return set(self._connections.values())

    def wait_for_connections(self, count: int, timeout: float = bounds.HANG) -> bool:
        """Wait until exactly ``count`` client connections are open; False if the wait ran out."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._connections) == count, timeout)

    def known_hosts_line(self, key=None) -> str:
        """The known_hosts entry for this server (or one claiming ``key`` is its host key)."""
        public = (key or self.host_key).export_public_key().decode().split()
        return f"[{self.host}]:{self.port} {public[0]} {public[1]}\n"

    # -- life cycle ---------------------------------------------------------------

    def flow(self) -> tuple[int, tuple, int, tuple]:
        """What the server does for its clients, read on its loop (so after every byte it has received).

        How many exec requests it serves; for each whose command runs, ``("held", group)`` when it
        holds output that the client's window has no room for (asyncssh's channel: no send window
        left, bytes waiting), ``("quiet", group)`` when it has nothing to send (no bytes waiting, none
        read from the command and not yet sent, none in the command's pipes), else ``("busy", group)``
        (``group``: the command's process group); how many channels are open (an SFTP session, a
        command at the gate); and the packets sent and received so far on each open connection.
        """
        async def look():
            commands = sorted((_sending(process.channel, child), child.pid)
                              for process, child in self._running.items())
            with self._cond:
                connections = sorted(self._connections.items(), key=lambda item: item[1] or ())
            return (sum(1 for task in self._handlers if not task.done()), tuple(commands),
                    sum(len(conn._channels) for conn, _ in connections),
                    tuple((peer, conn._send_seq, conn._recv_seq) for conn, peer in connections))
        return self.loop.call(look())

    def start(self) -> SSHTestServer:
        _servers.add(self)
        self.loop.call(self._listen())
        self.known_hosts.write_text(self.known_hosts_line())
        return self

    async def _listen(self) -> None:
        root = str(self.root)
        self._acceptor = await asyncssh.listen(
            HOST, 0,  # "127.0.0.1", never "": IPv4 and IPv6 would get different ports
            server_factory=lambda: _Session(self),
            server_host_keys=[self.host_key],
            process_factory=self._handle,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
            encoding=None,  # bytes in, bytes out
            allow_scp=False,
        )
        self.port = self._acceptor.get_port()

    def close(self) -> None:
        _servers.discard(self)
        if self._acceptor is None:
            return
        try:
            self.loop.call(self._shutdown())
        finally:
            self._kill_groups()
            self._acceptor = None

    async def _shutdown(self) -> None:
        with self._cond:
            connections = list(self._connections)
        for conn in connections:  # first: wait_closed() below waits for open connections on 3.12+
            conn.close()
        for conn in connections:
            try:
                await asyncio.wait_for(conn.wait_closed(), bounds.HANG)
            except (asyncio.TimeoutError, OSError):
                pass
        self._kill_groups()
        handlers = [task for task in self._handlers if not task.done()]
        if handlers:
            await asyncio.wait(handlers, timeout=bounds.HANG)
        self._acceptor.close()
        await asyncio.wait_for(self._acceptor.wait_closed(), bounds.HANG)

    def __enter__(self) -> SSHTestServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- bookkeeping, called on the loop thread -----------------------------------------

    def _opened(self, conn) -> None:
        peer = conn.get_extra_info("peername")
        with self._cond:
            self._connections[conn] = tuple(peer[:2]) if peer else None
            self._made += 1
            self._cond.notify_all()

    def _closed(self, conn) -> None:
        with self._cond:
            self._connections.pop(conn, None)
            self._cond.notify_all()

    def _record_login(self, username: str, method: str, accepted: bool) -> None:
        with self._cond:
            self.logins.append((username, method, accepted))

    def _kill_groups(self) -> None:
        with self._cond:
            groups = list(self._groups)
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)  # the whole group: a grandchild keeps pipes open too
            except (ProcessLookupError, PermissionError):
                pass

    # -- exec requests ------------------------------------------------------------------

    async def _handle(self, process: asyncssh.SSHServerProcess) -> None:
        command = process.command
        if command is None:
            process.stderr.write(b"this server runs commands, not shells: ssh -p PORT student@127.0.0.1 'ls -l'\n")
            process.exit(1)
            return
        with self._cond:
            self.commands.append(command)
        task = asyncio.current_task()
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        gate = self.gate
        if gate is not None:
            await gate.passing(self.name)
        try:
            await self._run(process, command)
        finally:
            if gate is not None:
                gate.finished(self.name)

    async def _run(self, process, command: str) -> None:
        child = await asyncio.create_subprocess_shell(
            command, cwd=str(self.root), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True)
        with self._cond:
            self._groups.add(child.pid)
        self._running[process] = child
        feeding = asyncio.ensure_future(self._feed(process, child))
        output = asyncio.ensure_future(asyncio.gather(self._drain(child.stdout, process.stdout),
                                                      self._drain(child.stderr, process.stderr)))
        hangup = asyncio.ensure_future(process.channel.wait_closed())
        status = None
        try:
            # The command's output ends, or the client goes away (closed, timed out) first.
            await asyncio.wait([output, hangup], return_when=asyncio.FIRST_COMPLETED)
            if output.done() and not output.exception():
                status = await child.wait()  # the pipes are closed: it returns once the command exits
        except (asyncssh.Error, OSError, asyncio.CancelledError):
            pass
        finally:
            hung_up = hangup.done() and not hangup.cancelled()
            for task in (feeding, output, hangup):
                task.cancel()
            await asyncio.gather(feeding, output, hangup, return_exceptions=True)
            self._running.pop(process, None)
            await self._reap(child)
        if status is not None and not hung_up:
            try:
                process.exit(status if status >= 0 else 128 - status)
            except (asyncssh.Error, OSError):
                pass
        else:
            process.close()

    async def _reap(self, child) -> None:
        """Kill the command's process group if it still runs, and wait until it is gone."""
        if child.returncode is None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            # Read the pipes to their end: before 3.12, wait() returns only once every
            # pipe is closed, and the transport then closes itself here, not later in a
            # garbage collector with the loop already gone.
            await asyncio.wait_for(asyncio.gather(child.stdout.read(), child.stderr.read(), child.wait()),
                                   bounds.HANG)
        except (asyncio.TimeoutError, OSError):
            pass
        finally:
            with self._cond:
                self._groups.discard(child.pid)

    @staticmethod
    async def _feed(process, child) -> None:
        try:
            while True:
                data = await process.stdin.read(CHUNK)
                if not data:
                    break
                child.stdin.write(data)
                await child.stdin.drain()
        except (asyncssh.Error, OSError):
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    @staticmethod
    async def _drain(source, channel) -> None:
        # Flow control end to end: the next chunk is read from the command only once
        # the client's window has room for this one, so a client that stops reading
        # stops the command too, just as with OpenSSH's sshd.
        while True:
            data = await source.read(CHUNK)
            if not data:
                return
            channel.write(data)
            await channel.drain()


def _sending(channel, child) -> str:
    """Whether an exec request's channel holds output for want of window, has nothing to send, or neither."""
    if channel._send_buf_len > 0:
        return "held" if channel._send_window == 0 else "busy"
    for stream, number in ((child.stdout, 1), (child.stderr, 2)):
        pipe = child._transport.get_pipe_transport(number) if child._transport is not None else None
        if stream is None or stream._buffer or pipe is None or _unread(pipe.get_extra_info("pipe")):
            return "busy"
    return "quiet"


def _unread(pipe) -> int:
    """Bytes waiting in a pipe (FIONREAD on its read end); 1 when that cannot be told."""
    try:
        return struct.unpack("i", fcntl.ioctl(pipe.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, AttributeError, ValueError):
        return 1


class SilentListener:
    """A socket on 127.0.0.1 that accepts TCP connections and never says a word.

    Connecting to it succeeds (the kernel completes the handshake), then nothing
    comes: no SSH banner, ever. Closing it resets every waiting connection.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self._sock.listen(16)
        self.address = self._sock.getsockname()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> SilentListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AgentListener:
    """A Unix socket posing as an SSH agent: it counts who connects and holds no keys.

    ``path`` is what SSH_AUTH_SOCK would name. Each client that connects is
    counted in ``connections`` and told the agent has no identities, so a login
    goes on to the credentials it was given. Closing stops the listener and
    removes its temp directory.
    """

    IDENTITIES_ANSWER = 12  # SSH_AGENT_IDENTITIES_ANSWER (draft-miller-ssh-agent)

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="kata-agent-")  # short: a Unix socket path has ~100 bytes
        self.path = os.path.join(self._folder, "agent.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(16)
        self._closing = False
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, name="kata-agent", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            with conn:
                if self._closing:  # the wake-up connection close() makes
                    return
                self.connections += 1
                conn.settimeout(bounds.HANG)
                try:
                    length = int.from_bytes(conn.recv(4), "big")
                    conn.recv(length)  # the request; whatever it asked, there are no keys
                    conn.sendall((5).to_bytes(4, "big") + bytes([self.IDENTITIES_ANSWER]) + (0).to_bytes(4, "big"))
                except OSError:
                    pass  # the client went away: it still connected, which is what is counted

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:
                wake.connect(self.path)
            self._thread.join(bounds.HANG)
            self._sock.close()
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> AgentListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def closed_port() -> tuple[str, int]:
    """An address on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()


@contextmanager
def ssh_server(root: Path, **options):
    """One SSH server serving ``root``; everything it started is gone when the block ends."""
    with ssh_servers(root, 1, **options) as servers:
        yield servers[0]


@contextmanager
def ssh_servers(root: Path, count: int, **options):
    """``count`` SSH servers on one loop, each with its own directory under ``root``.

    They share one ``known_hosts`` file (``servers[0].known_hosts``) listing them all.
    """
    root = Path(root)
    loop = ServerLoop()
    servers: list[SSHTestServer] = []
    try:
        keys_dir = root / "keys"
        for index in range(count):
            servers.append(SSHTestServer(loop, root / f"host{index}", name=f"host{index}",
                                         keys_dir=root / f"host{index}-keys", **options).start())
        keys_dir.mkdir(parents=True, exist_ok=True)
        shared = keys_dir / "known_hosts"
        shared.write_text("".join(server.known_hosts_line() for server in servers))
        for server in servers:
            server.shared_known_hosts = shared
        yield servers
    finally:
        try:
            for server in servers:
                server.close()
        finally:
            loop.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kata sshd", description=(
        "Start the ssh topic's SSH server on 127.0.0.1 and wait; Ctrl-C stops it."))
    parser.add_argument("--root", type=Path, help="serve this directory (default: a new temporary one)")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    # Handlers go in before the banner: whoever reads the banner may signal at once.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # even where the shell ignored it
    with tempfile.TemporaryDirectory(prefix="kata-sshd-") as scratch:
        root = options.root or Path(scratch) / "home"
        loop = ServerLoop()
        server = SSHTestServer(loop, root, keys_dir=Path(scratch) / "keys")
        try:
            server.start()
            print(f"kata sshd: serving {root} on {server.host} port {server.port}\n"
                  f"  user {server.username!r}, password {server.password!r}, or the key {server.key_path}\n"
                  f"  host key: {server.known_hosts_line().strip()}\n\n"
                  f"try:  ssh -p {server.port} -o UserKnownHostsFile={server.known_hosts} "
                  f"{server.username}@{server.host} 'echo hello; pwd'\n"
                  f"      ssh -p {server.port} -i {server.key_path} -o UserKnownHostsFile={server.known_hosts} "
                  f"{server.username}@{server.host} 'ls -l'\n"
                  f"      sftp -P {server.port} -o UserKnownHostsFile={server.known_hosts} "
                  f"{server.username}@{server.host}\n"
                  "Ctrl-C to stop.", flush=True)
            while not stop.wait(1.0):
                pass
            print("\nkata sshd: stopped")
        finally:
            try:
                server.close()
            finally:
                loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
