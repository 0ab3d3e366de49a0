"""A GLPI REST API on 127.0.0.1 that replays recorded GLPI answers (tests/fixtures/glpi/api).

``initSession``, ``killSession`` and errors are served verbatim from their recorded files. A
``search/<itemtype>`` page is cut from the recorded rows the way GLPI's ``API::searchItems`` and
``APIRest::call`` cut it: ``range=a-b`` (400 ``ERROR_RANGE_EXCEED_TOTAL`` past the end), the end
clipped to the total, the body ``{"totalcount", "count", "sort", "order", "data",
"content-range"}``, the ``Content-Range: a-b/total`` header (none when the total is 0) and
HTTP 206 while rows remain. ``recorded`` serves a whole recorded exchange for one itemtype.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "glpi" / "api"
SESSION = "83af7e620c83a50a18d3eac2f6ed05a3ca0bea62"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def recorded_rows(itemtype: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        (FIXTURES / f"rows-{itemtype}.json").read_text(encoding="utf-8")
    )
    return rows


@dataclass
class Request:
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]


@dataclass
class GlpiReplay:
    """The replayed GLPI; ``requests`` logs what the client asked (tokens included, to check)."""

    app_token: str = "f7g3csp8mgatg5ebc5elnazakw20i9fyev1qopya7"
    user_token: str = "tu9Zs3Kq0vXlB1ePr7mYc2WdN5hF8gJ4aLoIuT6x"
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    exchanges: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_search_at: int | None = None  # answer HTTP 500 to the search starting at this index
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/glpi/apirest.php"

    def start(self) -> GlpiReplay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def endpoints(self) -> list[str]:
        return [r.path.rsplit("apirest.php/", 1)[-1] for r in self.requests]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        req = Request(url.path, parse_qsl(url.query), dict(h.headers.items()))
        self.requests.append(req)
        endpoint = url.path.rsplit("apirest.php/", 1)[-1]
        if h.headers.get("App-Token") != self.app_token:
            return _send(h, recorded("error-app-token.json"))
        if endpoint == "initSession":
            if h.headers.get("Authorization") != f"user_token {self.user_token}":
                return _send(h, recorded("error-user-token.json"))
            return _send(h, recorded("initSession.json"))
        if h.headers.get("Session-Token") != SESSION:
            return _send(h, recorded("error-session-token.json"))
        if endpoint == "killSession":
            return _send(h, {"status": 200, "headers": {}, "body": True})
        if endpoint.startswith("search/"):
            return _send(h, self.search(endpoint.split("/", 1)[1], dict(req.query)))
        return _send(h, {"status": 400, "headers": {}, "body": ["ERROR", "bad endpoint"]})

    def search(self, itemtype: str, query: dict[str, str]) -> dict[str, Any]:
        if itemtype in self.exchanges:
            return self.exchanges[itemtype]
        rows = self.rows.get(itemtype, [])
        start, end = (int(n) for n in query.get("range", "0-49").split("-"))
        if start == self.fail_search_at:
            return {"status": 500, "headers": {}, "body": ["ERROR_SQL", "Unexpected SQL Error"]}
        total = len(rows)
        if start > total:
            message = f"Provided range exceed total count of data: {total}"
            return {"status": 400, "headers": {}, "body": ["ERROR_RANGE_EXCEED_TOTAL", message]}
        end = min(end, total - 1)
        shown = {v for k, v in query.items() if k.startswith("forcedisplay")} | {"1", "80"}
        page = [{k: v for k, v in r.items() if k in shown} for r in rows[start : end + 1]]
        body = {
            "totalcount": total,
            "count": len(page),
            "sort": [1],
            "order": ["ASC"],
            "data": page,
            "content-range": f"{start}-{end}/{total}",
        }
        headers = {"Accept-Range": f"{itemtype} 1000"}
        if total > 0:
            headers["Content-Range"] = f"{start}-{end}/{total}"
        return {"status": 206 if len(page) < total else 200, "headers": headers, "body": body}


def _send(h: BaseHTTPRequestHandler, exchange: dict[str, Any]) -> None:
    payload = json.dumps(exchange["body"], ensure_ascii=False).encode()
    h.send_response(exchange["status"])
    h.send_header("Content-Type", "application/json; charset=UTF-8")
    h.send_header("Content-Length", str(len(payload)))
    for k, v in exchange["headers"].items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(payload)
