"""Mistakes students make with paramiko; each must fail tests/exercises/ssh with a message naming it."""
from kata.mistakes import Mistake

READ_THEN_STATUS = """        out = channel_out.read()
        err = channel_err.read()
        status = channel_out.channel.recv_exit_status()
"""

MISTAKES = (
    Mistake(
        name="exit-status-awaited-before-reading-the-output",
        edits=((READ_THEN_STATUS, """        status = channel_out.channel.recv_exit_status()
        out = channel_out.read()
        err = channel_err.read()
"""),),
        expect="exit status awaited before reading the output",
    ),
    Mistake(
        name="auto-add-policy-where-known-hosts-was-required",
        edits=(("client.set_missing_host_key_policy(paramiko.RejectPolicy())",
                "client.set_missing_host_key_policy(paramiko.AutoAddPolicy())"),),
        expect="AutoAddPolicy",
    ),
    Mistake(
        name="client-never-closed",
        edits=(("""    try:
        return run(client, command, stdin=stdin, timeout=timeout)
    finally:
        client.close()
""", """    return run(client, command, stdin=stdin, timeout=timeout)
"""),),
        expect="a client never closed",
    ),
    Mistake(
        name="pool-without-per-host-error-capture",
        edits=(("""        except Exception as exc:  # this host's failure, recorded as its result
            return exc
""", """        except Exception:
            raise
"""),),
        expect="a pool without per-host error capture",
    ),
    Mistake(
        name="serial-loop-instead-of-a-pool",
        edits=(("""    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssh-host") as pool:
        outcomes = list(pool.map(one, hosts))
""", """    outcomes = [one(address) for address in hosts]
"""),),
        expect="a serial loop instead of a pool",
    ),
    Mistake(
        name="max-workers-ignored",
        edits=(("ThreadPoolExecutor(max_workers=max_workers,", "ThreadPoolExecutor(max_workers=len(hosts),"),),
        expect="max_workers ignored",
    ),
    Mistake(
        name="stdin-never-closed",
        edits=(("        channel_in.channel.shutdown_write()  # EOF: a command reading stdin can finish\n", ""),),
        expect="close the write side",
    ),
    Mistake(
        name="connect-without-a-timeout",
        edits=(("            timeout=timeout, banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,\n",
                ""),),
        expect="connect() without a timeout",
    ),
    Mistake(
        name="command-timeout-not-passed-to-exec-command",
        edits=(("client.exec_command(command, timeout=timeout)", "client.exec_command(command)"),),
        expect="pass it to exec_command(command, timeout=timeout)",
    ),
    Mistake(
        name="download-leaves-an-empty-local-file",
        edits=(("""            try:
                sftp.stat(remote_path)  # before get() creates an empty local file
            except FileNotFoundError:
                raise FileNotFoundError(f"no such remote file: {remote_path} on [{host}]:{port}") from None
""", ""),),
        expect="left an empty local file behind",
    ),
    Mistake(
        name="transport-without-the-expected-host-key",
        edits=(("transport.connect(hostkey=expected, username=username, password=password)",
                "transport.connect(username=username, password=password)"),),
        expect="did not check the host key",
    ),
    Mistake(
        name="transport-never-closed-after-upload",
        edits=(("""            return sftp.put(os.fspath(local_path), remote_path).st_size
        finally:
            sftp.close()
    finally:
        transport.close()
""", """            return sftp.put(os.fspath(local_path), remote_path).st_size
        finally:
            sftp.close()
    finally:
        pass
"""),),
        expect="a client never closed",
    ),
    Mistake(
        name="keys-in-home-and-the-agent-still-tried",
        edits=(("""            look_for_keys=False, allow_agent=False,  # only the credentials we were given
""", ""),),
        expect="look_for_keys=False, allow_agent=False",
    ),
    Mistake(
        name="agent-asked-for-keys",
        edits=(("look_for_keys=False, allow_agent=False,  # only the credentials we were given",
                "look_for_keys=False,  # only the credentials we were given"),),
        expect="asked an SSH agent for keys",
    ),
    Mistake(
        name="known-hosts-port-22-entry-as-a-fallback",
        edits=(("    keys = paramiko.HostKeys(os.fspath(known_hosts)).lookup(name)\n",
                "    hosts = paramiko.HostKeys(os.fspath(known_hosts))\n"
                "    keys = hosts.lookup(name) or hosts.lookup(host)  # or the host's entry for port 22\n"),),
        expect="in known_hosts is port 22",
    ),
)
