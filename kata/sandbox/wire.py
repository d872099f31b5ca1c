"""What crosses between judge and sandbox, and in what form.

Plain data (exact builtin types, recursively) is copied; anything else crosses
as a token that names an object kept on the side that made it. A subclass of a
builtin is not plain: its methods are the sender's code, so it stays a
reference. Exceptions cross as the nearest builtin type's name, the type's own
name and the message.

Every node on the wire is a scalar or a tagged list, so no dict or list the
sender made can be mistaken for a token.
"""
from __future__ import annotations

import base64
import builtins
import math
import pickle
import queue
import threading

SCALARS = (type(None), bool, int, str)


class RemoteError(Exception):
    """An exception raised on the other side whose type is not a builtin one."""


# The standard library's own exceptions that a topic's API raises (queue.Get on an empty queue, a broken
# barrier, a target a child cannot be sent): they cross under their dotted name and arrive as the very
# class, so ``except queue.Empty`` catches them as in one process. Any other type becomes a RemoteError.
STDLIB_ERRORS = {f"{kind.__module__}.{kind.__qualname__}": kind
                 for kind in (queue.Empty, queue.Full, queue.ShutDown if hasattr(queue, "ShutDown") else None,
                              threading.BrokenBarrierError, pickle.PicklingError) if kind is not None}


def encode(value, export, home):
    """``export(obj)`` names an object of ours; ``home(obj)`` names the peer's own object, or None."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is float:
        return value if math.isfinite(value) else ["f", repr(value)]
    if kind is list:
        return ["L", [encode(item, export, home) for item in value]]
    if kind is tuple:
        return ["T", [encode(item, export, home) for item in value]]
    if kind in (set, frozenset):
        return ["S" if kind is set else "F", [encode(item, export, home) for item in value]]
    if kind is dict:
        return ["D", [[encode(k, export, home), encode(v, export, home)] for k, v in value.items()]]
    if kind is bytes:
        return ["B", base64.b64encode(value).decode("ascii")]
    token = home(value)
    if token is not None:
        return ["H", token]
    return ["R", export(value), kind.__name__]


class WireError(ValueError):
    """What arrived is not something ``encode`` makes: the other side is not playing by the rules."""


def decode(node, resolve, remote):
    """``resolve(token)`` is our own object; ``remote(token, type_name)`` a proxy of the peer's.

    Only the node types ``encode`` makes are accepted, checked by exact type: the
    transport could hand over other objects (Pyro5 restores a few classes of
    its own), and none of those may reach a test.
    """
    kind = type(node)
    if kind in SCALARS or kind is float:
        return node
    if kind is not list or len(node) not in (2, 3) or type(node[0]) is not str:
        raise WireError(f"refused a value of type {kind.__name__} from the other side")
    tag, body = node[0], node[1]
    if tag in ("f", "B", "H", "R") and type(body) is not str:
        raise WireError(f"refused a malformed {tag!r} node from the other side")
    if tag in ("L", "T", "S", "F", "D") and type(body) is not list:
        raise WireError(f"refused a malformed {tag!r} node from the other side")
    if tag == "f":
        return float(body)
    if tag == "L":
        return [decode(item, resolve, remote) for item in body]
    if tag == "T":
        return tuple(decode(item, resolve, remote) for item in body)
    if tag in ("S", "F"):
        items = (decode(item, resolve, remote) for item in body)
        return set(items) if tag == "S" else frozenset(items)
    if tag == "D":
        if any(type(pair) is not list or len(pair) != 2 for pair in body):
            raise WireError("refused a malformed dict from the other side")
        return {decode(k, resolve, remote): decode(v, resolve, remote) for k, v in body}
    if tag == "B":
        return base64.b64decode(body)
    if tag == "H":
        return resolve(body)
    if tag == "R" and len(node) == 3 and type(node[2]) is str:
        return remote(body, node[2])
    raise WireError(f"refused an unknown node {tag!r} from the other side")


def encode_error(exc: BaseException) -> list:
    kind = type(exc)
    base = next(c for c in kind.__mro__
                if c.__module__ == "builtins" and getattr(builtins, c.__name__, None) is c)
    try:
        message = str(exc)
    except Exception:  # a message that cannot be formatted is still an error
        message = f"<{kind.__name__} whose message could not be read>"
    dotted = f"{kind.__module__}.{kind.__qualname__}"
    name = dotted if STDLIB_ERRORS.get(dotted) is kind else kind.__name__
    return [base.__name__, name, message if type(message) is str else ""]


_error_types: dict[tuple[str, str], type] = {}


def decode_error(node) -> BaseException:
    if type(node) is not list or len(node) != 3 or any(type(part) is not str for part in node):
        raise WireError("refused a malformed error from the other side")
    base_name, name, message = node
    base = getattr(builtins, base_name, None)
    if not (isinstance(base, type) and issubclass(base, BaseException)):
        base = Exception
    if name == base.__name__:
        return base(message)
    if name in STDLIB_ERRORS:
        return STDLIB_ERRORS[name](message)
    # Not a builtin: a kata RemoteError that still is an instance of the builtin it derives from,
    # so ``except ValueError`` catches a student's ValueError subclass, as it would in one process.
    kind = _error_types.get((base_name, name))
    if kind is None:
        bases = (RemoteError,) if base in (Exception, BaseException) else (RemoteError, base)
        try:
            kind = type(name, bases, {"__module__": "kata.sandbox.remote"})
        except TypeError:  # a builtin whose instance layout admits no second base (OSError and kin)
            kind = type(name, (RemoteError,), {"__module__": "kata.sandbox.remote"})
        _error_types[(base_name, name)] = kind
    return kind(message)
