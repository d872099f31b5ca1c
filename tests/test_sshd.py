"""The ssh topic's server (kata/sshd.py) keeps its promises, and leaves nothing behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import paramiko
import psutil
import pytest

from kata import bounds, sshd


def client_for(server, **login):
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    try:
        client.connect(server.host, server.port, username=server.username, look_for_keys=False,
                       allow_agent=False, timeout=10, **login)
    except BaseException:
        client.close()  # paramiko keeps the connection open after a failed login
        raise
    return client


def test_password_and_key_logins_are_recorded_and_a_wrong_password_is_refused(tmp_path):
    with sshd.ssh_server(tmp_path) as server:
        assert server.port, f"the server started without a port: {server.port!r}"
        assert oct(server.key_path.stat().st_mode & 0o777) == "0o600", (
            "the client key should be readable by its owner alone (ssh refuses it otherwise), "
            f"its mode is {oct(server.key_path.stat().st_mode & 0o777)}")
        client_for(server, password=server.password).close()
        client_for(server, pkey=paramiko.PKey.from_path(server.key_path)).close()
        with pytest.raises(paramiko.AuthenticationException):
            client_for(server, password="wrong")
        assert server.logins == [("student", "password", True), ("student", "publickey", True),
                                 ("student", "password", False)], (
            f"expected a password, a key and a refused password login, recorded {server.logins}")
        assert server.wait_for_connections(0), (
            f"every client closed, yet the server still counts {server.open_connections} open connections")


def live_members(group: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            pass
    return members


def test_teardown_closes_connections_and_kills_the_whole_process_group(tmp_path):
    with sshd.ssh_server(tmp_path) as server:
        client = client_for(server, password=server.password)
        # The shell leads its own process group; it names it once its background sleep is forked.
        stdin, stdout, _ = client.exec_command("sleep 60 & echo $$; sleep 61; echo never")
        stdin.channel.shutdown_write()
        group = int(stdout.readline())
        assert len(live_members(group)) >= 2, "the command's shell and its background sleep should be running"
        assert server.open_connections == 1, (
            f"one client is connected, the server counts {server.open_connections} open connections")
    # the with-block closed the server with the client still connected and the command running
    assert stdout.channel.recv_exit_status() == -1 or stdout.channel.closed, (
        "closing the server should cut off the running command, yet its channel is open "
        f"and reports exit status {stdout.channel.exit_status}")
    client.close()
    _, alive = psutil.wait_procs(live_members(group), timeout=bounds.HANG)
    assert not alive, f"the command's process group outlived the server: {alive}"
    assert not [t for t in threading.enumerate() if t.name == "kata-sshd-loop"], (
        f"the server's kata-sshd-loop thread outlived it: {[t.name for t in threading.enumerate()]}")


def test_a_shell_request_is_refused_with_a_hint(tmp_path):
    with sshd.ssh_server(tmp_path) as server:
        client = client_for(server, password=server.password)
        try:
            channel = client.get_transport().open_session()
            channel.invoke_shell()
            channel.shutdown_write()
            message = channel.makefile_stderr("rb").read()
            assert channel.recv_exit_status() == 1 and b"runs commands, not shells" in message, (
                "a shell request should exit 1 saying the server runs commands, not shells; "
                f"exit status {channel.exit_status}, stderr {message!r}")
        finally:
            client.close()


def test_servers_share_a_known_hosts_file_listing_them_all(tmp_path):
    with sshd.ssh_servers(tmp_path, 3) as servers:
        lines = servers[0].shared_known_hosts.read_text().splitlines()
        assert [line.split()[0] for line in lines] == [f"[127.0.0.1]:{s.port}" for s in servers], (
            f"the shared known_hosts should list the servers in order, ports {[s.port for s in servers]}: {lines}")
        assert len({s.port for s in servers}) == 3, (
            f"three servers should listen on three ports: {[s.port for s in servers]}")


def test_kata_sshd_prints_how_to_connect_and_stops_on_sigterm(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "kata.sshd", "--root", str(tmp_path / "home")],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = process.stdout.readline()
        assert "on 127.0.0.1 port" in first, first
        port = int(first.rsplit("port", 1)[1])
        lines = [process.stdout.readline() for _ in range(6)]
        assert any(f"ssh -p {port}" in line for line in lines), lines
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 0, f"kata sshd exited {process.returncode} on SIGTERM, expected 0"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def run_check(script: str, tmp_path, module: str) -> subprocess.CompletedProcess:
    """Run a check of one of the SSH proofs in a fresh process (no other test's threads in it)."""
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         timeout=6 * bounds.HANG)
    assert run.returncode == 0, f"the check of {module} failed:\n{run.stderr}"
    return run


# What a fresh process (no other test's threads in it) tells of its clients: kata.ssh_unclosed.
UNCLOSED_CHECK = r"""
import _thread, sys, threading
import paramiko
from kata import ssh_unclosed, sshd

def client_for(server):
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.connect(server.host, server.port, username=server.username, password=server.password,
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client

with sshd.ssh_server(sys.argv[1]) as server:
    left_open = client_for(server)
    print("left open:", len(ssh_unclosed.wait_closed(server)))
    unlisted = _thread.allocate_lock()
    unlisted.acquire()
    _thread.start_new_thread(lambda: unlisted.acquire() or unlisted.release(), ())
    print("a thread threading does not list may close it:", len(ssh_unclosed.never_closed(server)))
    unlisted.release()
    print("once that thread ended:", len(ssh_unclosed.wait_closed(server)))
    release = threading.Event()
    holder = threading.Thread(target=lambda: release.wait() and left_open.close())
    holder.start()
    print("a thread may close it:", len(ssh_unclosed.never_closed(server)))
    release.set()
    holder.join()
    print("closed by that thread:", ssh_unclosed.wait_closed(server))
    closed = client_for(server)
    closed.close()
    print("closed at once:", len(ssh_unclosed.never_closed(server)), ssh_unclosed.wait_closed(server))
"""


def test_a_client_nobody_can_close_is_told_apart_from_one_being_closed(tmp_path):
    run = run_check(UNCLOSED_CHECK, tmp_path, "kata.ssh_unclosed")
    assert run.stdout.splitlines() == [
        "left open: 1", "a thread threading does not list may close it: 0", "once that thread ended: 1",
        "a thread may close it: 0", "closed by that thread: []", "closed at once: 0 []"], (
        "an active client with nobody left to close it is proven (and only then): one that another thread "
        f"may still close, or that was closed, is waited for; the check printed:\n{run.stdout}")


# What kata.ssh_stuck proves, in a fresh process: output held for want of window, and only then.
STUCK_CHECK = r"""
import sys, threading
import paramiko
from kata import bounds, ssh_stuck, sshd
from kata.workers import Worker

BIG = "yes kata | head -c 5000000"  # more than twice paramiko's 2 MiB window
me = threading.current_thread()
with sshd.ssh_server(sys.argv[1]) as server:
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.connect(server.host, server.port, username=server.username, password=server.password,
                   look_for_keys=False, allow_agent=False, timeout=10)
    try:
        _, stdout, _ = client.exec_command(BIG)  # no timeout: a reader sleeps untimed between chunks
        reader = Worker(stdout.read, name="reader").start()
        proofs = set()
        while not reader.done:
            proofs.add(ssh_stuck.held_by_the_window(me))
        reader.finished()
        print("a reader is never held:", proofs == {None}, len(reader.result))
        _, stdout, _ = client.exec_command(BIG)
        timed = Worker(stdout.channel.status_event.wait, 4, name="timed").start()
        print("a timed wait is no proof:", ssh_stuck.wait(timed, 2) is None, timed.done)
        timed.finished()
        waiter = Worker(stdout.channel.recv_exit_status, name="waiter").start()
        print("exit status first:", ssh_stuck.wait(waiter) is not None, waiter.done)
        _, stdout, _ = client.exec_command("sleep 60")
        sleeper = Worker(stdout.channel.recv_exit_status, name="sleeper").start()
        print("a command asleep past the bound:", ssh_stuck.wait(sleeper, 5) is not None, sleeper.done)
        _, stdout, _ = client.exec_command("sleep 2")
        napper = Worker(stdout.channel.recv_exit_status, name="napper").start()
        print("a command that wakes before it:", ssh_stuck.wait(napper, bounds.HANG), napper.done)
    finally:
        client.close()  # the waiters' channel closes: they return
    waiter.finished()
"""


def test_a_call_is_proven_held_only_when_no_reader_is_left_and_the_server_waits_on_it(tmp_path):
    run = run_check(STUCK_CHECK, tmp_path, "kata.ssh_stuck")
    assert run.stdout.splitlines() == [
        "a reader is never held: True 5000000", "a timed wait is no proof: True False",
        "exit status first: True False", "a command asleep past the bound: True False",
        "a command that wakes before it: None True"], (
        "a thread that reads the output is never proven held, nor one whose wait has a timeout; one that waits "
        "for the exit status before reading is, and so is one waiting for a command that sleeps past the bound "
        f"(but not for one that wakes before it); the check printed:\n{run.stdout}")


# The start of both checks of kata.ssh_idle, each in a fresh process: servers that share one gate, a client
# logged in to each, and a look for a proof that must never come while a worker of the check still waits.
IDLE_PREAMBLE = r"""
import sys, threading, time
import paramiko
from kata import ssh_idle, sshd
from kata.workers import Worker

me = threading.current_thread()


def never_proven(worker=None):
    # Looked for while the worker still sleeps: once it has ended, nothing is left to keep the proof away.
    proofs, started = set(), time.monotonic()
    while time.monotonic() < started + 0.5:
        proofs.add(ssh_idle.no_command_can_come(gate, me))
    if worker is not None:
        worker.finished()
    return proofs == {False}


def logged_in(servers, gate):
    clients = []
    for server in servers:
        server.gate = gate
        clients.append(paramiko.SSHClient())
        clients[-1].load_host_keys(str(server.shared_known_hosts))
        clients[-1].connect(server.host, server.port, username=server.username, password=server.password,
                            look_for_keys=False, allow_agent=False, timeout=10)
    return clients
"""

# What kata.ssh_idle proves, in a fresh process: no command can come while the gate holds two, and only then.
IDLE_CHECK = IDLE_PREAMBLE + r"""
with sshd.ssh_servers(sys.argv[1], 3) as servers:
    gate = sshd.ExecGate(2, hold=10)
    clients = logged_in(servers, gate)
    try:
        readers = []
        for client in clients[:2]:
            _, stdout, _ = client.exec_command("echo ran", timeout=30)  # reads far past the hold's end
            readers.append(Worker(stdout.read, name="reader").start())
        while not gate.holding:
            time.sleep(0.01)
        print("a connection with no command is no proof:", never_proven())
        clients[2].close()
        servers[2].wait_for_connections(0)
        napper = Worker(time.sleep, 1, name="napper").start()
        print("a thread in time.sleep is no proof:", never_proven(napper))
        timed = Worker(threading.Event().wait, 1, name="timed").start()
        print("a wait that times out first is no proof:", never_proven(timed))
        proven = False
        while not proven and gate.holding:
            proven = ssh_idle.no_command_can_come(gate, me)
        print("two readers at the gate, nobody else:", proven)
        gate.release()
        for reader in readers:
            reader.finished()
        print("released:", gate.let_go, gate.peak, [reader.result for reader in readers])
    finally:
        for client in clients:
            client.close()
"""


def test_no_command_can_come_only_when_every_client_thread_waits_past_the_hold(tmp_path):
    run = run_check(IDLE_CHECK, tmp_path, "kata.ssh_idle")
    assert run.stdout.splitlines() == [
        "a connection with no command is no proof: True", "a thread in time.sleep is no proof: True",
        "a wait that times out first is no proof: True", "two readers at the gate, nobody else: True",
        "released: released 2 [b'ran\\n', b'ran\\n']"], (
        "with two commands held at the gate, no more commands can come only when no other connection is open "
        "and every thread of the client waits in a futex past the hold's end (not in time.sleep, not with a "
        f"nearer timeout); the check printed:\n{run.stdout}")


# What kata.ssh_idle proves of a wait for company, in a fresh process: no second command can come while one
# client waits for its first command's output past the wait's end, and nobody else runs; and only then.
COMPANY_CHECK = IDLE_PREAMBLE + r"""
with sshd.ssh_servers(sys.argv[1], 2) as servers:
    gate = sshd.ExecGate(2, timeout=10)
    clients = logged_in(servers, gate)
    try:
        _, stdout, _ = clients[0].exec_command("echo ran", timeout=30)  # reads far past the wait's end
        reader = Worker(stdout.read, name="reader").start()
        while gate.waiting is None:
            time.sleep(0.01)
        print("a connection with no command is no proof:", never_proven())
        clients[1].close()
        servers[1].wait_for_connections(0)
        timed = Worker(threading.Event().wait, 1, name="timed").start()
        print("a wait that times out first is no proof:", never_proven(timed))
        proven = False
        while not proven and gate.waiting is not None:
            proven = ssh_idle.no_command_can_come(gate, me)
        print("one reader at the gate, nobody else:", proven)
        gate.no_company(gate.waiting)
        reader.finished()
        print("alone:", gate.missed, gate.broken, gate.tripped, reader.result)
    finally:
        for client in clients:
            client.close()
"""


def test_no_company_can_come_only_when_every_client_thread_waits_past_the_gate(tmp_path):
    run = run_check(COMPANY_CHECK, tmp_path, "kata.ssh_idle")
    assert run.stdout.splitlines() == [
        "a connection with no command is no proof: True", "a wait that times out first is no proof: True",
        "one reader at the gate, nobody else: True", "alone: ['host0'] True False b'ran\\n'"], (
        "with one command waiting at the gate for company, no more commands can come only when no other "
        "connection is open and every thread of the client waits in a futex past the wait's end; ended then, "
        f"the command leaves as if the wait had run out; the check printed:\n{run.stdout}")


# What kata.ssh_silent proves, in a fresh process: a login to a host that never answers ends no sooner than
# its banner wait and its own timeout say; a thread doing anything else is no proof.
SILENT_CHECK = r"""
import sys, threading, time
import paramiko
from kata import ssh_silent, sshd
from kata.workers import Worker

me = threading.current_thread()


def login(silent, **timeouts):
    client = paramiko.SSHClient()
    try:
        client.connect(*silent.address, username="student", password="pw", look_for_keys=False,
                       allow_agent=False, **timeouts)
    finally:
        client.close()


def soonest(silent, **timeouts):
    worker = Worker(login, silent, name="login", **timeouts).start()
    started, ends = time.monotonic(), None
    while ends is None and not worker.done and time.monotonic() < started + 5:
        ends = ssh_silent.gives_up_after(silent.address, me)
    return worker, None if ends is None else round(ends - started)


with sshd.SilentListener() as silent:
    worker, ends = soonest(silent, banner_timeout=30)
    print("no timeout, a 30 s banner wait:", ends)
    napper = Worker(time.sleep, 1, name="napper").start()
    print("a thread in time.sleep is no proof:", ssh_silent.gives_up_after(silent.address, me))
    napper.finished()
with sshd.SilentListener() as silent:
    worker.finished()
    worker, ends = soonest(silent, timeout=20, banner_timeout=30)
    print("a 20 s timeout:", ends)
with sshd.SilentListener() as silent:
    worker.finished()
    worker, ends = soonest(silent, banner_timeout=1)
    print("a 1 s banner wait:", ends)
    worker.finished()
"""


def test_a_login_to_a_silent_host_ends_no_sooner_than_its_own_deadlines(tmp_path):
    run = run_check(SILENT_CHECK, tmp_path, "kata.ssh_silent")
    assert run.stdout.splitlines() == [
        "no timeout, a 30 s banner wait: 30", "a thread in time.sleep is no proof: None", "a 20 s timeout: 20",
        "a 1 s banner wait: 1"], (
        "a login waiting for a banner that never comes ends at its banner wait's end, or at its own timeout "
        "if sooner, and a thread of the client doing anything else is no proof; the check printed:\n"
        f"{run.stdout}")
