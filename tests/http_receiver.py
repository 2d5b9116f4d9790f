"""A real HTTP server for outbox tests: a partner's webhook endpoint on 127.0.0.1.

It runs ``http.server`` in a thread on a free port (or a given one), records every request and
answers from a script of status codes (200 once the script runs out). ``hold`` makes it keep a
request open until released, to exercise client timeouts without the test sleeping.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    answered: int


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when several workers send at once.
    request_queue_size = 128
    daemon_threads = True


class Receiver:
    def __init__(self, port: int = 0, statuses: list[int] | None = None) -> None:
        self._lock = threading.Lock()
        self.script: deque[int] = deque(statuses or [])
        self.requests: list[Received] = []
        self.hold = threading.Event()  # set -> requests wait for ``release``
        self.release = threading.Event()
        self.received = threading.Event()  # set by every answered request: wait on it, not sleep
        self.extra_headers: dict[str, str] = {}  # sent with every answer (e.g. Retry-After)
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/imm"

    def by_header(self, name: str) -> Counter[str]:
        with self._lock:
            return Counter(r.headers.get(name.lower(), "") for r in self.requests)

    def _answer(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)
        self.received.set()

    def _next_status(self) -> int:
        with self._lock:
            return self.script.popleft() if self.script else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.hold.is_set():
                    receiver.release.wait(timeout=10)
                status = receiver._next_status()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._answer(Received(self.path, headers, body, status))
                payload = b'{"ok":true}' if status < 300 else b'{"error":"try later"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                return

        return Handler

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on (bound then released), for "partner is down" tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
