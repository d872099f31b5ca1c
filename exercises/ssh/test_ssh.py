"""Tests for exercises/ssh — one group per task in README.md.

Every test talks to a real SSH server (asyncssh, see kata/sshd.py) on 127.0.0.1,
started for the test on a free port and gone when it ends. The server reports
what it saw: who logged in and how, the connections still open, and — through
an ExecGate that several servers share — whether their commands really ran at
the same time. Nothing here measures how fast anything was.
"""
from __future__ import annotations

import os
import shutil
import threading
from contextlib import ExitStack
from functools import partial

import asyncssh
import paramiko
import pytest

from kata import bounds, ssh_idle, ssh_silent, ssh_stuck, ssh_unclosed, sshd, stall
from kata.expect import raises
from kata.seam import topic_fixture
from kata.timeline import Timeline
from kata.workers import Worker

ssh = topic_fixture("ssh")

BIG = 5_000_000  # bytes of output: more than twice paramiko's 2 MiB channel window
TIMEOUT = 0.5    # the timeout the timeout tests hand in
HOLD = 2.0       # the longest a gate holds the first commands: less than the hosts' timeout below
HOSTS_TIMEOUT = bounds.HANG  # what the gate tests hand run_on_hosts(): a command's read outlasts the gate's waits
LOGIN_TIMEOUTS = (TIMEOUT, 4 * TIMEOUT, 16 * TIMEOUT)  # tried in turn while the login alone uses the timeout up


# -- fixtures: real servers, and a check that no client thread outlives a test ---

@pytest.fixture(autouse=True)
def no_client_outlives_the_test():
    """After the servers have closed every connection, every paramiko thread must be gone too."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and isinstance(t, paramiko.Transport)]
    for thread in left:
        stall.join(thread, bounds.HANG, f"waits for paramiko's thread {thread.name!r} to end")
    alive = [t for t in left if t.is_alive()]
    assert not alive, (f"{len(alive)} paramiko Transport thread(s) were still running after the test and its "
                       "servers had closed: close every SSHClient and Transport you open")


@pytest.fixture
def server(tmp_path):
    """One SSH server serving its own temp directory; server.known_hosts lists its host key."""
    with sshd.ssh_server(tmp_path / "sshd") as started:
        yield started


@pytest.fixture
def start_servers(tmp_path):
    """Factory: start_servers(n) starts n servers sharing one known_hosts file (servers[0].shared_known_hosts)."""
    farms = []
    with ExitStack() as stack:
        def start(count):
            farms.append(stack.enter_context(sshd.ssh_servers(tmp_path / f"farm{len(farms)}", count)))
            return farms[-1]
        yield start


def login(server, **overrides):
    """Keyword arguments that log in to server with its password."""
    return {"username": server.username, "password": server.password, "known_hosts": server.known_hosts,
            **overrides}


def call_bounded(target, *args, what, hint, timeout=bounds.HANG, **kwargs):
    """Call target in a daemon worker; fail with hint if it cannot return, or has not within timeout."""
    worker = Worker(target, *args, name="ssh-call", **kwargs).start()
    held = ssh_stuck.wait(worker, timeout)
    if held is not None:
        pytest.fail(f"{what} can never return: {held}: {hint}", pytrace=False)
    if not worker.done:
        pytest.fail(f"{what} had not returned after {timeout:g} s: {hint}", pytrace=False)
    return worker.outcome()


def assert_all_closed(servers, what):
    for srv in servers:
        unclosed = ssh_unclosed.wait_closed(srv)
        if unclosed is None or unclosed:
            how = (f"{srv.open_connections} connection(s) to the server stayed open for {bounds.HANG:g} s"
                   if unclosed is None else
                   f"{len(unclosed)} connection(s) to the server stayed open, each held by an active paramiko "
                   "Transport with no thread of the test left to close it")
            pytest.fail(f"{what} returned, but {how}: a client never closed — close the SSHClient (or Transport) "
                        "in a `finally:` block, so it is closed on every path", pytrace=False)


# -- task 1: run a command, log in with a password --------------------------------

@pytest.mark.task(1)
def test_run_command_returns_the_exit_status_stdout_and_stderr(ssh, server):
    result = ssh.run_command(server.host, server.port, "printf out; printf err >&2; exit 3", **login(server))
    got = (result.exit_status, result.stdout, result.stderr)
    assert got == (3, b"out", b"err"), (
        f"run_command(..., 'printf out; printf err >&2; exit 3') gave (exit_status, stdout, stderr) = {got!r}; "
        "expected (3, b'out', b'err'): read stdout and stderr as bytes, and take the status from "
        "channel.recv_exit_status()")
    assert isinstance(result, ssh.CommandResult), f"run_command() returned {type(result).__name__}; expected a CommandResult"
    assert ("student", "password", True) in server.logins, (
        f"the server saw these logins: {server.logins}; expected a password login as 'student'")


@pytest.mark.task(1)
def test_output_arrives_as_exact_bytes(ssh, server):
    result = ssh.run_command(server.host, server.port, r"printf '\377\000\n\303\251'", **login(server))
    assert result.stdout == b"\xff\x00\n\xc3\xa9", (
        f"a command printed the bytes ff 00 0a c3 a9; stdout was {result.stdout!r}: return stdout.read() "
        "as it is, bytes, without decoding or stripping")


@pytest.mark.task(1)
def test_stdin_reaches_the_command_and_is_closed(ssh, server):
    hint = ("cat waits for the end of its input: close the write side after writing "
            "(stdin.channel.shutdown_write())")
    try:
        result = call_bounded(ssh.run_command, server.host, server.port, "cat", stdin=b"line one\nline two\n",
                              **login(server), what="run_command(..., 'cat', stdin=...)", hint=hint)
    except TimeoutError:
        pytest.fail(f"run_command(..., 'cat', stdin=...) timed out waiting for cat's output: {hint}",
                    pytrace=False)
    assert result.stdout == b"line one\nline two\n", (
        f"ran `cat` with stdin=b'line one\\nline two\\n'; its stdout was {result.stdout!r}: write stdin to "
        "the channel, then close the write side (stdin.channel.shutdown_write())")


@pytest.mark.task(1)
def test_connect_gives_a_client_that_run_can_use_twice(ssh, server):
    client = ssh.connect(server.host, server.port, **login(server))
    try:
        first = ssh.run(client, "echo first")
        second = ssh.run(client, "echo second")
    finally:
        client.close()
    assert (first.stdout, second.stdout) == (b"first\n", b"second\n"), (
        f"two run() calls on one client printed {first.stdout!r} and {second.stdout!r}; "
        "expected b'first\\n' and b'second\\n'")
    assert server.connections_made == 1, (
        f"connect() once and run() twice opened {server.connections_made} connections; expected 1: "
        "run() uses the client it is given")


@pytest.mark.task(1)
def test_a_large_output_is_read_before_waiting_for_the_exit_status(ssh, server):
    result = call_bounded(
        ssh.run_command, server.host, server.port, f"yes kata | head -c {BIG}", **login(server),
        what=f"run_command() on a command printing {BIG:,} bytes",
        hint="exit status awaited before reading the output — the command blocks once the unread output "
             "fills the channel window, and its exit status never comes: read stdout and stderr first, "
             "then call recv_exit_status()")
    expected = (b"kata\n" * (BIG // 5 + 1))[:BIG]
    assert result.stdout == expected and result.exit_status == 0, (
        f"a command printed {BIG:,} bytes; run_command() returned {len(result.stdout):,} bytes and exit "
        f"status {result.exit_status}: read stdout to its end (stdout.read()) before the exit status")


@pytest.mark.task(1)
def test_run_command_closes_its_connection(ssh, server):
    ssh.run_command(server.host, server.port, "true", **login(server))
    assert_all_closed([server], "run_command()")


@pytest.mark.task(1)
def test_only_the_credentials_given_log_in_not_a_key_found_in_home(ssh, server, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(server.key_path, home / ".ssh" / "id_ed25519")  # a key the server accepts, where paramiko looks
    os.chmod(home / ".ssh" / "id_ed25519", 0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with raises(paramiko.AuthenticationException,
                "run_command() with a wrong password, while ~/.ssh held a key the server accepts",
                "it logged in with that key instead — paramiko looks for keys in ~/.ssh and asks an agent unless "
                "told not to: connect(..., look_for_keys=False, allow_agent=False), so only the credentials "
                "you were given are tried"):
        ssh.run_command(server.host, server.port, "true", username=server.username, password="not the password",
                        known_hosts=server.known_hosts)
    assert_all_closed([server], "run_command() with a wrong password")


@pytest.mark.task(1)
def test_only_the_credentials_given_log_in_no_agent_is_asked(ssh, server, monkeypatch):
    with sshd.AgentListener() as agent:
        monkeypatch.setenv("SSH_AUTH_SOCK", agent.path)
        result = call_bounded(ssh.run_command, server.host, server.port, "echo hi", **login(server),
                              what="run_command() while SSH_AUTH_SOCK named an agent with no keys",
                              hint="the agent answers at once that it holds no keys")
        asked = agent.connections
    assert not asked, (
        f"run_command() with a password connected {asked} time(s) to the SSH agent SSH_AUTH_SOCK names: the "
        "client asked an SSH agent for keys — pass allow_agent=False (and look_for_keys=False) to "
        "client.connect(), so only the credentials you were given are tried")
    assert result.stdout == b"hi\n", f"run_command() printed {result.stdout!r}; expected b'hi\\n'"
    assert_all_closed([server], "run_command()")


# -- task 2: log in with a key -------------------------------------------------

@pytest.mark.task(2)
def test_run_command_logs_in_with_a_private_key_file(ssh, server):
    assert oct(server.key_path.stat().st_mode & 0o777) == "0o600", "the fixture wrote the key without mode 0600"
    server.password = os.urandom(16).hex()  # no password works now: only the key can get in
    result = ssh.run_command(server.host, server.port, "echo key", username=server.username,
                             key_path=server.key_path, known_hosts=server.known_hosts)
    assert result.stdout == b"key\n", f"run_command() with key_path printed {result.stdout!r}; expected b'key\\n'"
    methods = [method for _, method, accepted in server.logins if accepted]
    assert methods == ["publickey"], (
        f"the server accepted these logins: {methods}; expected one public-key login: load the key "
        "with paramiko.PKey.from_path(key_path) and pass it as pkey=")


@pytest.mark.task(2)
def test_a_key_the_server_does_not_know_is_rejected(ssh, server, tmp_path):
    stranger = tmp_path / "stranger_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(stranger))
    os.chmod(stranger, 0o600)
    with raises(paramiko.AuthenticationException, "run_command() with a key the server does not know",
                "let paramiko's AuthenticationException reach the caller"):
        ssh.run_command(server.host, server.port, "true", username=server.username, key_path=stranger,
                        known_hosts=server.known_hosts)
    assert_all_closed([server], "run_command() with a key the server does not know")


# -- task 3: trust only the hosts you know -------------------------------------------

@pytest.mark.task(3)
def test_a_host_missing_from_known_hosts_is_refused(ssh, server, tmp_path):
    known_hosts = tmp_path / "known_hosts_without_it"
    known_hosts.write_text("")
    try:
        client = ssh.connect(server.host, server.port, **login(server, known_hosts=known_hosts))
    except ssh.UnknownHostKeyError:
        pass
    else:
        client.close()
        pytest.fail(
            "connect() logged in to a host that is not in known_hosts: AutoAddPolicy (or WarningPolicy) "
            "trusts whoever answers, so a man in the middle gets your password — load known_hosts and "
            "reject unknown hosts (RejectPolicy, the default), raising UnknownHostKeyError", pytrace=False)
    assert not server.logins, (
        f"the unknown host received a login attempt: {server.logins}: check the host key before sending "
        "credentials")
    assert known_hosts.read_text() == "", "connect() wrote to known_hosts: trusting a host is the user's decision"


@pytest.mark.task(3)
def test_a_changed_host_key_is_refused(ssh, server, tmp_path):
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = tmp_path / "known_hosts_with_another_key"
    known_hosts.write_text(server.known_hosts_line(impostor))
    with raises(ssh.HostKeyChangedError, "connect() to a host whose key differs from known_hosts",
                "a changed key may be a man in the middle: turn paramiko's BadHostKeyException into "
                "HostKeyChangedError and never log in"):
        client = ssh.connect(server.host, server.port, **login(server, known_hosts=known_hosts))
        client.close()
    assert not server.logins, f"a host with the wrong key received a login attempt: {server.logins}"


@pytest.mark.task(3)
def test_host_key_errors_are_ssh_errors_with_a_clear_message(ssh, server, tmp_path):
    known_hosts = tmp_path / "empty_known_hosts"
    known_hosts.write_text("")
    with raises(ssh.HostKeyError, "run_command() to a host missing from known_hosts",
                "UnknownHostKeyError and HostKeyChangedError both subclass HostKeyError") as caught:
        ssh.run_command(server.host, server.port, "true", **login(server, known_hosts=known_hosts))
    assert str(server.port) in str(caught.value), (
        f"the error said {str(caught.value)!r}; expected it to name the host and port that was refused")
    assert_all_closed([server], "run_command() to an unknown host")


# -- task 4: copy files with SFTP -----------------------------------------------------

@pytest.mark.task(4)
def test_upload_and_download_keep_every_byte(ssh, server, tmp_path):
    payload = os.urandom(300_000) + b"\x00\r\n\xff"
    local = tmp_path / "outgoing.bin"
    local.write_bytes(payload)
    sent = ssh.upload(server.host, server.port, local, "incoming.bin", **login(server))
    remote = server.root / "incoming.bin"
    assert remote.is_file() and remote.read_bytes() == payload, (
        "upload() returned, but the server's directory does not hold the same bytes: sftp.put(local, remote)")
    assert sent == len(payload), f"upload() returned {sent!r}; expected the number of bytes sent, {len(payload)}"
    back = tmp_path / "back.bin"
    received = ssh.download(server.host, server.port, "incoming.bin", back, **login(server))
    assert back.read_bytes() == payload, "download() wrote different bytes than the server holds: sftp.get(remote, local)"
    assert received == len(payload), f"download() returned {received!r}; expected {len(payload)}"
    assert_all_closed([server], "upload() and download()")


@pytest.mark.task(4)
def test_downloading_a_missing_file_raises_and_leaves_nothing(ssh, server, tmp_path):
    target = tmp_path / "never.bin"
    with raises(FileNotFoundError, "download() of a remote file that does not exist",
                "sftp.stat() or sftp.get() of a missing file raises FileNotFoundError; let it reach the "
                "caller") as caught:
        ssh.download(server.host, server.port, "no/such/file.txt", target, **login(server))
    assert not target.exists(), (
        "download() of a missing remote file left an empty local file behind: sftp.get() creates the local "
        "file before it finds out — stat() the remote file first (or remove the local file on failure)")
    assert "no/such/file.txt" in str(caught.value), (
        f"the error said {str(caught.value)!r}; expected it to name the missing remote file")
    assert_all_closed([server], "download() of a missing file")


@pytest.mark.task(4)
def test_sftp_checks_the_host_key(ssh, server, tmp_path):
    known_hosts = tmp_path / "known_hosts_with_another_key"
    known_hosts.write_text(server.known_hosts_line(asyncssh.generate_private_key("ssh-ed25519")))
    local = tmp_path / "secret.txt"
    local.write_bytes(b"secret")
    try:
        ssh.upload(server.host, server.port, local, "secret.txt", **login(server, known_hosts=known_hosts))
    except ssh.HostKeyChangedError:
        pass
    else:
        pytest.fail("upload() sent a file to a host whose key is not the one in known_hosts: the Transport "
                    "did not check the host key — pass hostkey= (the key from known_hosts) to "
                    "transport.connect()", pytrace=False)
    assert not (server.root / "secret.txt").exists() and not server.logins, (
        f"the host with the wrong key got a login attempt: {server.logins}")
    assert_all_closed([server], "upload() to a host with the wrong key")


@pytest.mark.task(4)
def test_sftp_trusts_a_key_only_for_the_port_known_hosts_lists(ssh, server, tmp_path):
    known_hosts = tmp_path / "known_hosts_for_port_22"
    known_hosts.write_text(server.known_hosts_line().replace(f"[{server.host}]:{server.port}", server.host, 1))
    local = tmp_path / "secret.txt"
    local.write_bytes(b"secret")
    with raises(ssh.UnknownHostKeyError,
                f"upload() to port {server.port} when known_hosts lists {server.host} only on port 22",
                f"a bare {server.host} in known_hosts is port 22; any other port is looked up as "
                f"[{server.host}]:{server.port}"):
        ssh.upload(server.host, server.port, local, "secret.txt", **login(server, known_hosts=known_hosts))
    assert not (server.root / "secret.txt").exists() and not server.logins, (
        f"the host got a login attempt although known_hosts lists it for port 22 only: {server.logins}")
    assert_all_closed([server], "upload() to a host known_hosts lists for another port")

# -- task 5: one command, many hosts -----------------------------------------------

def pool_message(what, timeline, hint):
    return f"{what}\n{timeline.render()}\nhint: {hint} (README, task 5)"


@pytest.mark.task(5)
def test_the_command_runs_on_all_hosts_at_the_same_time(ssh, start_servers):
    servers = start_servers(3)
    timeline = Timeline()
    gate = sshd.ExecGate(len(servers), timeline=timeline)
    for srv in servers:
        srv.gate = gate
    hosts = [srv.address for srv in servers]
    first = servers[0]
    # A command waits at the gate for the others until they come, or until it is proven that none can
    # (kata/ssh_idle.py): a serial loop waits for the first command's output, and sends nothing more.
    with ssh_idle.releasing(gate):
        results = call_bounded(
            partial(ssh.run_on_hosts, timeout=HOSTS_TIMEOUT), hosts, "pwd", username=first.username,
            password=first.password, known_hosts=first.shared_known_hosts, max_workers=len(hosts),
            what="run_on_hosts() on 3 hosts", hint="is a worker waiting forever?",
            timeout=bounds.HANG + bounds.OVERLAP)
    if not gate.tripped:
        pytest.fail(pool_message(
            f"the command ran on the {len(hosts)} hosts one after another (only {len(gate.met)} were running "
            "at once); expected all of them at the same time — a serial loop instead of a pool",
            timeline, "submit every host to a ThreadPoolExecutor(max_workers=...) and collect the results"),
            pytrace=False)
    assert isinstance(results, ssh.GroupResult), f"run_on_hosts() returned {type(results).__name__}; expected a GroupResult"
    assert list(results) == hosts, f"run_on_hosts() returned entries for {list(results)}; expected {hosts}, in that order"
    for srv in servers:
        value = results[srv.address]
        assert isinstance(value, ssh.CommandResult) and value.stdout == f"{srv.root}\n".encode(), (
            f"the entry for {srv.address} is {value!r}; expected the CommandResult of `pwd` on that host")
    assert_all_closed(servers, "run_on_hosts()")


@pytest.mark.task(5)
def test_a_failed_host_is_recorded_and_the_others_are_kept(ssh, start_servers):
    good, wrong_password, failing, also_good = start_servers(4)
    for srv in (good, wrong_password, also_good):
        (srv.root / "motd.txt").write_bytes(f"hello from {srv.name}\n".encode())
    wrong_password.password = "not the password run_on_hosts() is given"
    refused = sshd.closed_port()
    hosts = [good.address, refused, wrong_password.address, failing.address, also_good.address]
    try:
        results = call_bounded(
            ssh.run_on_hosts, hosts, "cat motd.txt", username=good.username, password=good.password,
            known_hosts=good.shared_known_hosts, max_workers=len(hosts),
            what="run_on_hosts() with failing hosts", hint="is a worker waiting forever?")
    except NotImplementedError:
        raise
    except Exception as exc:
        pytest.fail(
            f"run_on_hosts() raised {type(exc).__name__}: {exc}\nbecause one host failed, and every other "
            "host's result was lost with it — a pool without per-host error capture: catch each host's "
            "exception inside the worker and record it as that host's result (like fabric's GroupResult)",
            pytrace=False)
    assert list(results) == hosts, f"run_on_hosts() returned entries for {list(results)}; expected {hosts}, in that order"
    for srv in (good, also_good):
        value = results[srv.address]
        assert isinstance(value, ssh.CommandResult) and value.stdout == f"hello from {srv.name}\n".encode(), (
            f"a healthy host {srv.address} got {value!r}; expected its own CommandResult, kept although "
            "other hosts failed")
    assert isinstance(results[refused], OSError), (
        f"the host that refused the connection got {results[refused]!r}; expected the OSError it raised")
    assert isinstance(results[wrong_password.address], paramiko.AuthenticationException), (
        f"the host that rejected the password got {results[wrong_password.address]!r}; expected the "
        "AuthenticationException it raised")
    failed_run = results[failing.address]
    assert isinstance(failed_run, ssh.CommandResult) and failed_run.exit_status != 0, (
        f"the host where `cat motd.txt` failed got {failed_run!r}; expected its CommandResult with a nonzero "
        "exit status")
    assert set(results.failed) == {refused, wrong_password.address, failing.address}, (
        f"GroupResult.failed lists {sorted(results.failed)}")
    assert_all_closed([good, wrong_password, failing, also_good], "run_on_hosts() with failing hosts")


@pytest.mark.task(5)
def test_max_workers_bounds_how_many_hosts_run_at_once(ssh, start_servers):
    servers = start_servers(4)
    timeline = Timeline()
    # The first two commands are held at the gate until a third comes, or until it is proven that none can
    # (kata/ssh_idle.py); HOLD only where nothing can be proven.
    gate = sshd.ExecGate(2, timeline=timeline, hold=HOLD)
    for srv in servers:
        srv.gate = gate
    hosts = [srv.address for srv in servers]
    first = servers[0]
    with ssh_idle.releasing(gate):
        results = call_bounded(
            partial(ssh.run_on_hosts, timeout=HOSTS_TIMEOUT), hosts, "true", username=first.username,
            password=first.password, known_hosts=first.shared_known_hosts, max_workers=2,
            what="run_on_hosts(..., max_workers=2) on 4 hosts", hint="is a worker waiting forever?",
            timeout=bounds.HANG + HOLD)
    assert gate.peak <= 2, pool_message(
        f"with max_workers=2, {gate.peak} hosts ran the command at once: max_workers ignored — pass it to "
        "ThreadPoolExecutor(max_workers=max_workers)", timeline, "the pool's size is the bound")
    if not gate.tripped:
        pytest.fail(pool_message(
            "with max_workers=2 the hosts still ran one after another — a serial loop instead of a pool",
            timeline, "a ThreadPoolExecutor(max_workers=2) runs two hosts at a time"), pytrace=False)
    assert len(results.succeeded) == 4, f"run_on_hosts() succeeded on {sorted(results.succeeded)}; expected all 4 hosts"


# -- task 6: give up in time -------------------------------------------------------

@pytest.mark.task(6)
def test_connecting_to_a_host_that_never_answers_times_out(ssh, server):
    with sshd.SilentListener() as silent:
        host, port = silent.address
        worker = Worker(ssh.connect, host, port, **login(server), timeout=TIMEOUT, name="connect").start()
        gives_up = ssh_silent.wait(worker, silent)  # the soonest it can: paramiko's waits say (kata/ssh_silent.py)
        if not worker.done:
            if gives_up is None:
                waited = f"was still waiting after {bounds.HANG:g} s"
            elif gives_up == float("inf"):
                waited = "would wait for ever: nothing in it gives up before the banner comes"
            else:
                waited = (f"would still be waiting when the test's {bounds.HANG:g} s ran out: it gives up on the "
                          f"banner only after {gives_up:.0f} s")
            pytest.fail(
                f"connect(..., timeout={TIMEOUT}) to a host that accepts TCP but never sends an SSH banner {waited}: "
                "connect() without a timeout — the TCP connect succeeded and the SSH banner never came; pass "
                "timeout=timeout to client.connect() (and banner_timeout=timeout, auth_timeout=timeout: their "
                "defaults are 15 and 30 s)", pytrace=False)
    with raises(TimeoutError, f"connect(..., timeout={TIMEOUT}) to a host that never answers",
                "paramiko reports the missing banner as SSHException('Error reading SSH protocol banner'); "
                "turn that into TimeoutError"):
        client = worker.outcome()
        client.close()


@pytest.mark.task(6)
def test_connecting_where_nothing_listens_fails_clearly(ssh, server):
    host, port = sshd.closed_port()
    with raises(OSError, "connect() to a closed port",
                "let the refused connection's OSError (ConnectionRefusedError or paramiko's "
                "NoValidConnectionsError) reach the caller") as caught:
        client = call_bounded(ssh.connect, host, port, **login(server), timeout=TIMEOUT,
                              what="connect() to a closed port", hint="a refused connection fails at once")
        client.close()
    assert str(port) in str(caught.value), (
        f"connect() to a closed port raised {caught.value!r}; expected an error naming the port")


@pytest.mark.task(6)
def test_a_command_that_runs_too_long_times_out(ssh, server):
    # The timeout bounds the login too. A TimeoutError tells of the command's timeout only once the server
    # was asked to run it; a login that used up the timeout first says nothing, so it is tried with more.
    for timeout in LOGIN_TIMEOUTS:
        asked = len(server.commands)
        worker = Worker(ssh.run_command, server.host, server.port, "sleep 60", **login(server), timeout=timeout,
                        name="run_command").start()
        held = ssh_stuck.wait(worker, bounds.HANG + timeout)
        ran = len(server.commands) > asked
        if not worker.done or ran or not isinstance(worker.error, (TimeoutError, paramiko.SSHException)):
            break
    call = f"run_command(..., 'sleep 60', timeout={timeout:g})"
    if not worker.done:
        waited = (f"would still be waiting when the test's {bounds.HANG + timeout:g} s ran out: {held}" if held else
                  f"was still waiting after {bounds.HANG + timeout:g} s")
        if not ran:
            pytest.fail(f"{call} {waited}, and the server was never asked to run the command: the login itself "
                        "did not give up — pass timeout=timeout to client.connect()", pytrace=False)
        pytest.fail(
            f"{call} {waited}: "
            "the timeout was not applied to the command — pass it to exec_command(command, timeout=timeout), "
            "so that reading its output raises TimeoutError", pytrace=False)
    if not ran and isinstance(worker.error, (TimeoutError, paramiko.SSHException)):
        pytest.fail(
            f"run_command(..., 'sleep 60') raised {type(worker.error).__name__}: {worker.error} with every "
            f"timeout from {LOGIN_TIMEOUTS[0]:g} to {timeout:g} s, each time before the server was asked to run "
            "the command, so the command's own timeout could not be seen: either the machine is too busy to "
            "log in within that time, or run_command() never sends the command (client.exec_command)",
            pytrace=False)
    with raises(TimeoutError, call,
                "reading the output of exec_command(command, timeout=timeout) raises socket.timeout, "
                "a TimeoutError; let it reach the caller"):
        worker.outcome()
    assert_all_closed([server], "run_command() that timed out")
