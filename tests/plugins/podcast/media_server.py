"""A real HTTP server on 127.0.0.1 that hosts artwork and audio the way a podcast host does.

Files are served with GET and HEAD; byte ranges (``Range: bytes=a-b`` → 206) only for files
added with ``ranges=True``, so a test can play a host that does not support them. The images
are generated with Pillow, so each artwork rule can be broken by exactly one property.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from PIL import Image


@dataclass(frozen=True)
class Hosted:
    body: bytes
    content_type: str
    ranges: bool = True
    head_status: int = 200


def image(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB") -> bytes:
    """An image of ``size`` in ``fmt`` and colour ``mode`` (JPEG at low quality: small, fast)."""
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 80, 40) if mode == "RGB" else None).save(
        buffer, format=fmt, **({"quality": 30} if fmt == "JPEG" else {})
    )
    return buffer.getvalue()


class MediaServer:
    def __init__(self) -> None:
        self.files: dict[str, Hosted] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add(self, path: str, hosted: Hosted) -> str:
        self.files[path] = hosted
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, with_body: bool) -> None:
                range_header = self.headers.get("Range")
                server.requests.append((self.command, self.path, range_header))
                hosted = server.files.get(self.path)
                if hosted is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not with_body and hosted.head_status != 200:
                    self.send_response(hosted.head_status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, status = hosted.body, 200
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
                self.send_response(206 if (match and hosted.ranges) else 200)
                if match and hosted.ranges:
                    start = int(match[1])
                    end = int(match[2]) if match[2] else len(body) - 1
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                    body, status = body[start:end + 1], 206
                self.send_header("Content-Type", hosted.content_type)
                self.send_header("Content-Length", str(len(body)))
                if hosted.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if with_body:
                    self.wfile.write(body)
                del status

            def do_GET(self) -> None:
                self._serve(True)

            def do_HEAD(self) -> None:
                self._serve(False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
