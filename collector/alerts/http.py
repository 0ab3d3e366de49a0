"""The one place alert channels speak HTTP: POST a JSON body, turn every failure into
:class:`~collector.alerts.errors.DeliveryError`.

Redirects are not followed (a 3xx is a permanent error): the bearer token must never travel to
a host the configuration did not name. Error messages name the channel, the server (scheme,
host, port and path: never the query string or user info, which may carry a token) and the HTTP
status; never a request header.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from collector.alerts.errors import DeliveryError, PermanentDeliveryError

#: Statuses worth retrying: the request was fine, the server was not (or asked us to wait).
_RETRYABLE = frozenset({408, 425, 429})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib would carry the Authorization header to the new host."""

    def redirect_request(self, *_args: object, **_kw: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment: fit for a log line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def post_json(
    channel: str,
    url: str,
    body: object,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> int:
    """POST ``body`` as JSON; returns the HTTP status (2xx). Raises DeliveryError otherwise."""
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    where = safe_url(url)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode(errors="replace").strip()
        exc.close()
        msg = f"{channel}: {where} answered HTTP {exc.code}: {detail}"
        if 300 <= exc.code < 500 and exc.code not in _RETRYABLE:
            raise PermanentDeliveryError(msg) from None
        raise DeliveryError(msg) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DeliveryError(f"{channel}: cannot reach {where}: {reason}") from None
