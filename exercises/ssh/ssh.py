"""SSH with paramiko: run commands and copy files on other machines, and on many at once.

Read exercises/ssh/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/ssh
(They start a real SSH server on 127.0.0.1 for each test; `kata sshd` starts one to try by hand.)

The data types below are written for you; the functions are yours.
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
    # TODO (task 1): an SSHClient that trusts the hosts in known_hosts (load_host_keys), then
    #   connect(host, port, username=..., password=..., look_for_keys=False, allow_agent=False).
    # TODO (task 2): with key_path, log in with paramiko.PKey.from_path(key_path) as pkey=.
    # TODO (task 3): refuse unknown hosts (never AutoAddPolicy); raise UnknownHostKeyError or
    #   HostKeyChangedError, naming host and port; close the client when connect() fails.
    # TODO (task 6): timeout for every wait: timeout=, banner_timeout=, auth_timeout=; raise TimeoutError
    #   when the host accepts the connection but never speaks.
    raise NotImplementedError("not implemented yet: connect — see exercises/ssh/README.md, task 1")


def run(client, command, *, stdin=b"", timeout=None):
    """Run command on a connected client; return a CommandResult.

    stdin is sent to the command, then the write side is closed. Raises
    TimeoutError if the command produces nothing for timeout seconds.
    """
    # TODO (task 1): exec_command(); write stdin and shut the write side down; read stdout and
    #   stderr to their end, and only then recv_exit_status().
    # TODO (task 6): pass timeout to exec_command(); a read that times out raises TimeoutError.
    raise NotImplementedError("not implemented yet: run — see exercises/ssh/README.md, task 1")


def run_command(host, port, command, *, username, known_hosts, password=None, key_path=None, stdin=b"",
                timeout=5.0):
    """Connect, run one command, close the connection (whatever happened); return a CommandResult."""
    # TODO (task 1): connect(), run(), and close the client in a finally: block.
    raise NotImplementedError("not implemented yet: run_command — see exercises/ssh/README.md, task 1")


def upload(host, port, local_path, remote_path, *, username, password, known_hosts, timeout=5.0):
    """Copy the local file to remote_path over SFTP on a paramiko.Transport; return the bytes sent."""
    # TODO (task 4): the host key from known_hosts (paramiko.HostKeys(...).lookup("[host]:port"));
    #   a Transport on a socket made with a timeout; transport.connect(hostkey=..., username=...,
    #   password=...); SFTPClient.from_transport(); put(); close everything in finally: blocks.
    raise NotImplementedError("not implemented yet: upload — see exercises/ssh/README.md, task 4")


def download(host, port, remote_path, local_path, *, username, password, known_hosts, timeout=5.0):
    """Copy remote_path to the local file over SFTP; return the bytes received.

    A missing remote file raises FileNotFoundError naming it, and leaves no local file behind.
    """
    # TODO (task 4): like upload(), with get(); stat() the remote file before get() creates the local one.
    raise NotImplementedError("not implemented yet: download — see exercises/ssh/README.md, task 4")


def run_on_hosts(hosts, command, *, username, known_hosts, password=None, key_path=None, max_workers=4,
                 timeout=5.0):
    """Run command on every (host, port) in hosts, at most max_workers at a time; return a GroupResult.

    A host that fails (refused, wrong password, timed out) gets its exception as
    its entry; the others' results are kept.
    """
    # TODO (task 5): a ThreadPoolExecutor(max_workers=max_workers) running run_command() per host;
    #   catch each host's exception inside the worker and keep it as that host's value;
    #   GroupResult in the order of hosts.
    raise NotImplementedError("not implemented yet: run_on_hosts — see exercises/ssh/README.md, task 5")
