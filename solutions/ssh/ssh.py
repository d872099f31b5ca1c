"""SSH with paramiko: run commands and copy files on other machines, and on many at once.

Reference solution. Same public API as exercises/ssh/ssh.py.
"""

import os
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import paramiko


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind: its exit status and everything it wrote."""

    exit_status: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_status == 0


class HostKeyError(paramiko.SSHException):
    """The server's host key could not be trusted: the connection was refused on our side."""


class UnknownHostKeyError(HostKeyError):
    """The host is not listed in the known_hosts file."""


class HostKeyChangedError(HostKeyError):
    """The host is listed in known_hosts with a different key: someone may be in the middle."""


class GroupResult(dict):
    """One entry per host, in the order given: a CommandResult, or the exception that host raised.

    Modelled on fabric's GroupResult: a host that failed is recorded, never lost.
    """

    @property
    def succeeded(self) -> dict:
        """The hosts whose command ran and exited with status 0."""
        return {host: value for host, value in self.items()
                if isinstance(value, CommandResult) and value.ok}

    @property
    def failed(self) -> dict:
        """The hosts that raised, or whose command exited with a nonzero status."""
        return {host: value for host, value in self.items() if host not in self.succeeded}


def connect(host, port, *, username, known_hosts, password=None, key_path=None, timeout=5.0):
    """Log in to host:port and return a connected paramiko.SSHClient; the caller closes it.

    The server's host key must be listed in the known_hosts file; password or
    key_path (a private key file) proves who we are; nothing waits longer than timeout.
    """
    client = paramiko.SSHClient()
    client.load_host_keys(os.fspath(known_hosts))  # trust this file, and only this file
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            host, port, username=username, password=password,
            pkey=paramiko.PKey.from_path(key_path) if key_path is not None else None,
            look_for_keys=False, allow_agent=False,  # only the credentials we were given
            timeout=timeout, banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
        )
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyChangedError(
            f"the host key of [{host}]:{port} is not the one in {known_hosts}: refusing to log in "
            "(if the server's key really changed, update known_hosts yourself)") from exc
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc):
            raise UnknownHostKeyError(
                f"[{host}]:{port} is not in {known_hosts}: refusing to log in to a host we cannot "
                "identify") from exc
        if "banner" in str(exc) or "No existing session" in str(exc):  # paramiko's words for silence
            raise TimeoutError(f"[{host}]:{port} accepted the connection but sent no SSH banner "
                               f"within {timeout} s") from exc
        raise
    except BaseException:
        client.close()
        raise
    return client


def run(client, command, *, stdin=b"", timeout=None):
    """Run command on a connected client; return a CommandResult.

    stdin is sent to the command, then the write side is closed. Raises
    TimeoutError if the command produces nothing for timeout seconds.
    """
    channel_in, channel_out, channel_err = client.exec_command(command, timeout=timeout)
    try:
        if stdin:
            channel_in.write(stdin)
        channel_in.channel.shutdown_write()  # EOF: a command reading stdin can finish
        # Read everything first: the exit status arrives only after the output, and
        # output nobody reads fills the window until the command blocks for good.
        out = channel_out.read()
        err = channel_err.read()
        status = channel_out.channel.recv_exit_status()
    except socket.timeout as exc:
        raise TimeoutError(f"{command!r} was still running after {timeout} s") from exc
    finally:
        channel_out.channel.close()
    return CommandResult(status, out, err)


def run_command(host, port, command, *, username, known_hosts, password=None, key_path=None, stdin=b"",
                timeout=5.0):
    """Connect, run one command, close the connection (whatever happened); return a CommandResult."""
    client = connect(host, port, username=username, known_hosts=known_hosts, password=password,
                     key_path=key_path, timeout=timeout)
    try:
        return run(client, command, stdin=stdin, timeout=timeout)
    finally:
        client.close()


def _trusted_key(host, port, known_hosts):
    """The host key known_hosts lists for host:port; UnknownHostKeyError if none."""
    name = host if port == 22 else f"[{host}]:{port}"  # known_hosts names port 22 by the bare host
    keys = paramiko.HostKeys(os.fspath(known_hosts)).lookup(name)
    if not keys:
        raise UnknownHostKeyError(f"{name} is not in {known_hosts}: refusing to log in")
    return next(iter(keys.values()))


def _open_transport(host, port, *, username, password, known_hosts, timeout):
    expected = _trusted_key(host, port, known_hosts)
    sock = socket.create_connection((host, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.auth_timeout = timeout
    try:
        transport.connect(hostkey=expected, username=username, password=password)
    except BaseException as exc:
        transport.close()  # on every way out, an SSH error or not: no socket left open
        if "Bad host key" in str(exc):  # paramiko's SSHException for a key that is not the expected one
            raise HostKeyChangedError(f"the host key of [{host}]:{port} is not the one in {known_hosts}") from exc
        raise
    return transport


def upload(host, port, local_path, remote_path, *, username, password, known_hosts, timeout=5.0):
    """Copy the local file to remote_path over SFTP on a paramiko.Transport; return the bytes sent."""
    transport = _open_transport(host, port, username=username, password=password, known_hosts=known_hosts,
                                timeout=timeout)
    try:
        sftp = paramiko.SFTPClient.from_transport(transport)
        try:
            return sftp.put(os.fspath(local_path), remote_path).st_size
        finally:
            sftp.close()
    finally:
        transport.close()


def download(host, port, remote_path, local_path, *, username, password, known_hosts, timeout=5.0):
    """Copy remote_path to the local file over SFTP; return the bytes received.

    A missing remote file raises FileNotFoundError naming it, and leaves no local file behind.
    """
    transport = _open_transport(host, port, username=username, password=password, known_hosts=known_hosts,
                                timeout=timeout)
    try:
        sftp = paramiko.SFTPClient.from_transport(transport)
        try:
            try:
                sftp.stat(remote_path)  # before get() creates an empty local file
            except FileNotFoundError:
                raise FileNotFoundError(f"no such remote file: {remote_path} on [{host}]:{port}") from None
            sftp.get(remote_path, os.fspath(local_path))
            return os.path.getsize(local_path)
        finally:
            sftp.close()
    finally:
        transport.close()


def run_on_hosts(hosts, command, *, username, known_hosts, password=None, key_path=None, max_workers=4,
                 timeout=5.0):
    """Run command on every (host, port) in hosts, at most max_workers at a time; return a GroupResult.

    A host that fails (refused, wrong password, timed out) gets its exception as
    its entry; the others' results are kept.
    """
    def one(address):
        host, port = address
        try:
            return run_command(host, port, command, username=username, known_hosts=known_hosts,
                               password=password, key_path=key_path, timeout=timeout)
        except Exception as exc:  # this host's failure, recorded as its result
            return exc

    hosts = list(hosts)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssh-host") as pool:
        outcomes = list(pool.map(one, hosts))
    return GroupResult(zip(hosts, outcomes))
