"""A real HTTP server on loopback that records the webhook calls it receives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Sink:
    """What the server received; ``fail`` answers that many requests with ``status``."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    fail: int = 0
    status: int = 503
    delay_seconds: float = 0.0
    location: str | None = None  # sent with a failing status (redirect tests)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {n} request(s), got {len(self.received)}")


@contextmanager
def http_sink() -> Iterator[Sink]:
    sink = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with sink.lock:
                sink.received.append(Received(self.path, dict(self.headers.items()), None))
            self.send_response(200)
            self.end_headers()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if sink.delay_seconds:
                time.sleep(sink.delay_seconds)
            with sink.lock:
                failing = sink.fail > 0
                if failing:
                    sink.fail -= 1
                else:
                    sink.received.append(
                        Received(self.path, dict(self.headers.items()), json.loads(raw))
                    )
            self.send_response(sink.status if failing else 204)
            if failing and sink.location:
                self.send_header("Location", sink.location)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/veille"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
