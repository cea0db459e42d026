"""A loopback web server for yt-dlp and the feed/article readers: real HTTP, real files.

Routes are registered per test: static bytes with a content type, or a status code. Every request is
recorded, so tests can assert what was (and was not) fetched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Request(tuple):  # type: ignore[type-arg]
    """(method, path, headers), plus `at`: when it arrived (time.monotonic), for spacing checks."""

    at: float

    def __new__(cls, method: str, path: str, headers: dict[str, str]) -> Request:
        record = super().__new__(cls, (method, path, headers))
        record.at = time.monotonic()
        return record


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        # yt-dlp hangs up once it has read what it needs (a media page's head, a probe): not an error.
        if not isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class MediaServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, head: bool) -> None:
                path = self.path.split("?")[0]
                server.requests.append(Request(self.command, self.path, dict(self.headers)))
                route = server.routes.get(path)
                if route is None:
                    route = Route(b"not found", "text/plain", 404)
                body = route.body
                status = route.status
                start, end = 0, len(body) - 1
                range_header = self.headers.get("Range")
                if range_header and status == 200 and body:
                    spec = range_header.split("=", 1)[1].split("-")
                    start = int(spec[0] or 0)
                    end = int(spec[1]) if spec[1] else len(body) - 1
                    status = 206
                chunk = body[start : end + 1]
                self.send_response(status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if not head:
                    self.wfile.write(chunk)

            def do_GET(self) -> None:
                self._serve(head=False)

            def do_HEAD(self) -> None:
                self._serve(head=True)

        self.httpd = _QuietServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="media-server")

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(
        self,
        path: str,
        body: bytes | str | Path,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        if isinstance(body, Path):
            body = body.read_bytes()
        elif isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(body, content_type, status, headers or {})
        return self.url(path)

    def reset(self) -> MediaServer:
        """No routes, no recorded requests: how each test gets the session's server."""
        self.routes.clear()
        self.requests.clear()
        return self

    def fetched(self, path: str) -> int:
        return sum(1 for method, p, _ in self.requests if p.split("?")[0] == path and method == "GET")

    def __enter__(self) -> MediaServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
