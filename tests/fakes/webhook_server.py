"""A loopback webhook receiver (Slack/n8n style): records every POST; can fail the first few."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookServer:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.fail_next = 0  # answer this many requests with HTTP 503 first
        self._changed = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._changed:
                    failing = server.fail_next > 0
                    server.fail_next -= 1 if failing else 0
                    if not failing:
                        server.received.append((self.path, json.loads(body or b"{}")))
                    server._changed.notify_all()
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 60.0) -> list[tuple[str, dict[str, Any]]]:
        """Block until `count` POSTs arrived (no sleeping in tests); return them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
