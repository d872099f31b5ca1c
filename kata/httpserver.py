"""A real HTTP server on loopback for the crawler exercises (topic: pools).

``PageServer`` is a ``ThreadingHTTPServer`` bound to 127.0.0.1 on a free port,
serving pages it keeps in memory from a daemon thread. It is a context
manager: leaving the block stops the serving loop and closes the socket.
The loop sleeps without a timeout until a client connects or the block ends
(a pipe wakes it), so it never keeps the stall detector from a proof.

The server also watches its own traffic, so a test can see mechanism instead
of timing: ``occupancy`` counts requests being handled right now (and the
peak), ``served`` lists every path answered, and ``on_request(path)`` — if
given — runs inside the handler before the answer is sent, where a test can
hold requests at a barrier or a gate.
"""
from __future__ import annotations

import os
import selectors
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kata import stall
from kata.probes import Occupancy


def page_html(title: str, words: int) -> str:
    """A small generated page: a title and a body of ``words`` words."""
    body = " ".join(f"word{n}" for n in range(words))
    return f"<html><head><title>{title}</title></head><body><p>{body}</p></body></html>\n"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def handle(self) -> None:
        # While this thread answers, a client of the test waiting on the other end waits for it alone.
        with stall.served_connection(self.connection):
            super().handle()

    def do_GET(self) -> None:  # noqa: N802 (the name http.server asks for)
        owner = self.server.owner
        with owner.occupancy:
            if owner.on_request is not None:
                owner.on_request(self.path)
            text = owner.pages.get(self.path)
            with owner._lock:
                owner.served.append(self.path)
        if text is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no such page")
            return
        data = text.encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # keep test output clean
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: PageServer


class PageServer:
    """Serve ``pages`` (path -> HTML text) on 127.0.0.1; unknown paths get 404."""

    def __init__(self, pages: dict[str, str], on_request=None) -> None:
        self.pages = dict(pages)
        self.on_request = on_request
        self.occupancy = Occupancy()
        self.served: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stop: tuple[int, int] | None = None  # a pipe: close() writes to it to end the loop

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> PageServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._stop = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="page-server", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        stop = self._stop[0]
        with stall.serving(), selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            selector.register(stop, selectors.EVENT_READ)
            while True:
                ready = {key.fileobj for key, _ in selector.select()}  # no timeout: a client or close() wakes it
                if stop in ready:
                    return
                self._server._handle_request_noblock()  # accept, and hand the request to a thread of its own

    def close(self) -> None:
        if self._server is None:
            return
        os.write(self._stop[1], b"x")
        self._thread.join()
        self._server.server_close()
        for end in self._stop:
            os.close(end)
        self._server = None

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
