"""Objects on the far side of the boundary, and the server that answers for ours.

Each side runs a Pyro5 daemon whose one object is a ``Bridge``: it keeps the
objects this side has handed out (by token) and performs, on them, only the
operations its policy allows. A ``Peer`` calls the other side's bridge with a
Pyro5 proxy per calling thread, so each calling thread is served by a thread
of its own over there, and a thread blocked in a call never holds up another.

What the judge may do with a sandbox object (``RemoteObject``): read and set
attributes, call it, iterate it, take its length or an item, use it as a
context manager; whatever comes back is again copied or proxied. What it will
not do: let the object compare, hash or ``bool()`` itself, since a verdict
must never rest on the submission's own opinion of its result.

What the sandbox may do with a judge object (``JudgeObject``): call it, or call
one of its public methods. It cannot read or set any attribute.
"""
from __future__ import annotations

import importlib
import json
import os
import secrets
import threading
import weakref

import Pyro5.api
import Pyro5.errors
import Pyro5.serializers
import Pyro5.socketutil

from kata import caller
from kata.sandbox import wire

Pyro5.api.config.THREADPOOL_SIZE = 512      # one server thread per calling thread of the peer
Pyro5.api.config.THREADPOOL_SIZE_MIN = 1    # idle server threads end: a leak check can count the rest
Pyro5.api.config.SERIALIZER = "json"        # plain data only, read by the C json parser; no pickle ever crosses
Pyro5.api.config.DETAILED_TRACEBACK = False


class _AsciiJson(Pyro5.serializers.JsonSerializer):
    """Pyro5's JSON written in ASCII: a string with a lone surrogate, which UTF-8 cannot encode, crosses
    as its escape and arrives as it was sent."""

    def dumpsCall(self, obj, method, vargs, kwargs):
        return self.dumps({"object": obj, "method": method, "params": vargs, "kwargs": kwargs})

    def dumps(self, data):
        return json.dumps(data, ensure_ascii=True, default=self.default).encode("ascii")


class _Unread(Pyro5.serializers.JsonSerializer):
    """Stands in for every serializer but the chosen one: a message that names it is refused unread.

    Pyro5 reads each message with the serializer its header names, whatever the peer chose, and one of
    them is marshal, which the standard library says must never read data from an untrusted source.
    """

    def __init__(self, serializer_id: int) -> None:
        self.serializer_id = serializer_id

    def loads(self, data):
        raise Pyro5.errors.SerializeError("this side reads only JSON")

    def loadsCall(self, data):
        raise Pyro5.errors.SerializeError("this side reads only JSON")


_CHOSEN = Pyro5.serializers.serializers["json"] = _AsciiJson()
for _id in list(Pyro5.serializers.serializers_by_id):
    Pyro5.serializers.serializers_by_id[_id] = _CHOSEN if _id == _CHOSEN.serializer_id else _Unread(_id)

JUDGE_OPS = frozenset({"call", "method"})  # all the sandbox may do with what a test handed it
SANDBOX_OPS = frozenset({"call", "method", "getattr", "setattr", "iter", "next", "len", "getitem", "enter", "exit",
                         "isinstance", "issubclass", "instance_of"})
# The classes a test may ask a sandbox object to be an instance of (kata.boundary.is_a), by name: the
# sandbox's own threading.Thread, not the judge's, so the answer is about the object's real class there.
KNOWN_CLASSES = frozenset({"threading.Thread", "threading.Event", "threading.Timer",
                           "multiprocessing.process.BaseProcess", "multiprocessing.context.Process",
                           "concurrent.futures.process.ProcessPoolExecutor",
                           "concurrent.futures.thread.ThreadPoolExecutor"})
CALLABLE_DUNDERS = frozenset({"__call__", "__enter__", "__exit__"})


class SandboxGone(RuntimeError):
    """The other process is no longer there to answer."""


class Registry:
    """The objects this side has handed out, by token; an object handed twice keeps its token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, object] = {}
        self._tokens: dict[int, str] = {}
        self.pinned: set[str] = set()

    def export(self, obj) -> str:
        with self._lock:
            token = self._tokens.get(id(obj))
            if token is None:
                token = secrets.token_hex(12)
                self._objects[token] = obj
                self._tokens[id(obj)] = token
            return token

    def pin(self, token: str, obj) -> None:
        with self._lock:
            self._objects[token] = obj
            self._tokens[id(obj)] = token
            self.pinned.add(token)

    def get(self, token: str):
        with self._lock:
            try:
                return self._objects[token]
            except KeyError:
                raise LookupError("this object belonged to an earlier test and is gone") from None

    def clear(self) -> None:
        with self._lock:
            kept = {t: o for t, o in self._objects.items() if t in self.pinned}
            self._objects = kept
            self._tokens = {id(o): t for t, o in kept.items()}


_HOME_PID = os.getpid()  # a child forked from here shares this process's sockets, under another pid
_close_connection = Pyro5.socketutil.SocketConnection.close


def _close_in_its_own_process(connection) -> None:
    # A child forked from here clears the other threads' state as it starts, dropping the proxies and
    # connections they kept, and closing one shuts its socket down for every process that shares it: the
    # parent's next call on it would fail with a broken pipe. In a forked child closing leaves them alone.
    if os.getpid() == _HOME_PID:
        _close_connection(connection)


Pyro5.socketutil.SocketConnection.close = _close_in_its_own_process


class Peer:
    """The other side's bridge, reached with one Pyro5 proxy per calling thread."""

    def __init__(self, uri: str, registry: Registry, make_remote) -> None:
        self.uri = uri
        self.registry = registry
        self._make_remote = make_remote
        self._local = threading.local()
        self._remotes: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._remotes_lock = threading.Lock()
        self.in_flight = 0
        self._count_lock = threading.Lock()

    def _proxy(self):
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            proxy = self._local.proxy = Pyro5.api.Proxy(self.uri)
        return proxy

    def close_own_proxy(self) -> None:
        proxy = getattr(self._local, "proxy", None)
        if proxy is not None:
            self._local.proxy = None
            proxy._pyroRelease()

    def encode(self, value):
        return wire.encode(value, self.registry.export, self._home_token)

    def decode(self, node):
        return wire.decode(node, self.registry.get, self._remote)

    def _home_token(self, value):
        return value._kata_token if isinstance(value, _Far) and value._kata_peer is self else None

    def _remote(self, token: str, type_name: str):
        with self._remotes_lock:
            far = self._remotes.get(token)
            if far is None:
                far = self._remotes[token] = self._make_remote(self, token, type_name)
            return far

    def invoke(self, token: str, op: str, name: str = "", args=(), kwargs=None):
        identity = [caller.thread_name(), caller.ident(), caller.pid(), caller.serial(), caller.daemon(),
                    caller.is_main()]
        request = (token, op, name, self.encode(list(args)), self.encode(dict(kwargs or {})), identity)
        with self._count_lock:
            self.in_flight += 1
        try:
            reply = self._transport("invoke", *request)
        finally:
            with self._count_lock:
                self.in_flight -= 1
        if type(reply) not in (list, tuple) or len(reply) != 2 or reply[0] not in ("ok", "err"):
            raise wire.WireError("refused a reply that is not [status, value] from the other side")
        status, payload = reply
        if status == "ok":
            return self.decode(payload)
        raise wire.decode_error(payload) from None

    def call_plain(self, method: str, *args):
        """Call one of the bridge's own methods (no objects involved); the caller checks what comes back."""
        return self._transport(method, *args)

    def _transport(self, method: str, *args):
        try:
            # Looking the method up already talks to the far side (Pyro5 fetches the object's metadata
            # on first use), so it belongs inside the try as much as the call does.
            return getattr(self._proxy(), method)(*args)
        except Pyro5.errors.CommunicationError as exc:
            self.close_own_proxy()
            raise SandboxGone(f"the other side of the sandbox stopped answering ({exc})") from None
        except BaseException as exc:
            # The transport raises what the far side sends as an error, of any builtin type (SystemExit
            # too); a verdict must not rest on that, so it becomes one plain failure. Exceptions the far
            # side cannot make (pytest's own, a timeout's) and a KeyboardInterrupt of ours pass on.
            far_made = type(exc).__module__ == "builtins" or isinstance(exc, Pyro5.errors.PyroError)
            if not far_made or (isinstance(exc, KeyboardInterrupt) and not hasattr(exc, "_pyroTraceback")):
                raise
            raise SandboxGone(f"the other side sent the error {type(exc).__name__} instead of a reply") from None


class _Far:
    """Base of the proxies of the other side's objects."""

    __slots__ = ("_kata_peer", "_kata_token", "_kata_type", "__weakref__")

    def __init__(self, peer: Peer, token: str, type_name: str) -> None:
        object.__setattr__(self, "_kata_peer", peer)
        object.__setattr__(self, "_kata_token", token)
        object.__setattr__(self, "_kata_type", type_name)

    def _kata_invoke(self, op, name="", args=(), kwargs=None):
        return self._kata_peer.invoke(self._kata_token, op, name, args, kwargs)


class SandboxObjectError(TypeError):
    """A test tried to let an object from the sandbox judge itself."""


def _refuse(what):
    def refuse(self, *args):
        raise SandboxObjectError(
            f"an object of type {self._kata_type!r} from the code under test was asked to {what}; "
            "the kata compares only plain values (numbers, strings, lists, ...), so return one of those")
    refuse.__name__ = what
    return refuse


class RemoteObject(_Far):
    """The judge's handle on an object in the sandbox."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._kata_invoke("getattr", name)

    def __setattr__(self, name, value):
        self._kata_invoke("setattr", name, (value,))

    def __call__(self, *args, **kwargs):
        return self._kata_invoke("call", "", args, kwargs)

    def __iter__(self):
        return self._kata_invoke("iter")

    def __next__(self):
        return self._kata_invoke("next")

    def __len__(self):
        length = self._kata_invoke("len")
        if type(length) is not int:
            raise SandboxObjectError(f"len() of a {self._kata_type!r} from the code under test was not an int")
        return length

    def __getitem__(self, key):
        return self._kata_invoke("getitem", "", (key,))

    def __enter__(self):
        return self._kata_invoke("enter")

    def __exit__(self, kind, exc, tb):
        self._kata_invoke("exit", "", (exc is not None,))
        return None  # code under test never swallows a judge's exception

    # isinstance(obj, module.Class) with a class from the sandbox asks the sandbox about its own classes.
    def __instancecheck__(self, instance):
        return self._kata_bool("isinstance", instance)

    def __subclasscheck__(self, subclass):
        return self._kata_bool("issubclass", subclass)

    def _kata_bool(self, op, other):
        answer = self._kata_invoke(op, "", (other,))
        if type(answer) is not bool:
            raise SandboxObjectError(f"{op}() in the sandbox answered {type(answer).__name__}, not True or False")
        return answer

    def __repr__(self):
        return f"<{self._kata_type} object in the sandbox>"

    __str__ = __repr__

    def __format__(self, spec):
        return format(repr(self), spec)

    __eq__ = _refuse("compare itself (==)")
    __ne__ = _refuse("compare itself (!=)")
    __lt__ = _refuse("compare itself (<)")
    __le__ = _refuse("compare itself (<=)")
    __gt__ = _refuse("compare itself (>)")
    __ge__ = _refuse("compare itself (>=)")
    __bool__ = _refuse("say whether it is true")
    __hash__ = _refuse("hash itself")
    __contains__ = _refuse("say what it contains")


class JudgeObject(_Far):
    """The sandbox's handle on something a test handed it: it can be called, and so can its public methods."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self._kata_invoke("call", "", args, kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(f"{name}: the kata's objects can only be called")
        return _JudgeMethod(self, name)

    def __setattr__(self, name, value):
        raise AttributeError(f"{name}: the kata's objects cannot be changed")

    def __enter__(self):
        return self._kata_invoke("method", "__enter__")

    def __exit__(self, kind, exc, tb):
        return self._kata_invoke("method", "__exit__", (None, None, None))

    def __repr__(self):
        return f"<{self._kata_type} from the tests>"


class _JudgeMethod:
    __slots__ = ("_owner", "_name")

    def __init__(self, owner: JudgeObject, name: str) -> None:
        self._owner, self._name = owner, name

    def __call__(self, *args, **kwargs):
        return self._owner._kata_invoke("method", self._name, args, kwargs)

    def __repr__(self):
        return f"<method {self._name} of {self._owner!r}>"


@Pyro5.api.expose
class Bridge:
    """The one object a side serves: it performs allowed operations on objects it handed out."""

    def __init__(self, registry: Registry, peer_holder, ops: frozenset, mirror_name: bool = False) -> None:
        self._registry = registry
        self._peer_holder = peer_holder  # a callable: the Peer that decodes what arrives
        self._ops = ops
        self._mirror_name = mirror_name  # the serving thread takes the caller's name while it serves

    def ping(self) -> int:
        return os.getpid()

    def invoke(self, token, op, name, args, kwargs, identity):
        peer = self._peer_holder()
        previous = getattr(caller._serving, "identity", None)
        caller._serving.identity = (str(identity[0]), int(identity[1]), int(identity[2]), int(identity[3]),
                                    identity[4] is True, identity[5] is True)
        me = threading.current_thread()
        own_name, own_daemon = me.name, me.daemon
        if self._mirror_name:
            # The serving thread stands in for the caller: code under test that asks for the current
            # thread's name sees the caller's, and threads it starts are daemons exactly when they would
            # be if started by the caller (Thread() copies the daemon flag of the thread that makes it).
            me.name = caller._serving.identity[0]
            me._daemonic = caller._serving.identity[4]
        try:
            if op not in self._ops:
                raise PermissionError(f"{op} is not allowed on this side's objects")
            target = self._registry.get(str(token))
            result = perform(target, op, str(name), peer.decode(args), peer.decode(kwargs), self._ops)
            return "ok", peer.encode(result)
        except BaseException as exc:  # every failure goes back to the caller as its type and message
            return "err", wire.encode_error(exc)
        finally:
            caller._serving.identity = previous
            me.name = own_name
            if self._mirror_name:
                me._daemonic = own_daemon


def perform(target, op: str, name: str, args: list, kwargs: dict, ops: frozenset):
    if op == "call":
        return target(*args, **kwargs)
    if op == "method":
        if name.startswith("_") and name not in CALLABLE_DUNDERS:
            raise AttributeError(f"{name} is not a public method")
        if ops is JUDGE_OPS:
            member = getattr(type(target), name, None)
            if member is None or isinstance(member, property) or not callable(member):
                raise AttributeError(f"{type(target).__name__} has no method {name}")
        return getattr(target, name)(*args, **kwargs)
    if op == "getattr":
        return getattr(target, name)
    if op == "setattr":
        setattr(target, name, args[0])
        return None
    if op == "iter":
        return iter(target)
    if op == "next":
        return next(target)
    if op == "len":
        return len(target)
    if op == "getitem":
        return target[args[0]]
    if op == "isinstance":
        return isinstance(args[0], target)
    if op == "instance_of":
        if name not in KNOWN_CLASSES:
            raise PermissionError(f"{name} is not a class the kata asks about")
        module, _, qualname = name.rpartition(".")
        return isinstance(target, getattr(importlib.import_module(module), qualname))
    if op == "issubclass":
        return issubclass(args[0], target)
    if op == "enter":
        return target.__enter__()
    if op == "exit":
        failed = args[0]
        error = RuntimeError("the test's block raised") if failed else None
        return bool(target.__exit__(type(error) if error else None, error, None))
    raise PermissionError(op)
