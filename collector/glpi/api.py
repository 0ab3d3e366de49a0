"""Reads assets from GLPI's REST API (``apirest.php``, GLPI 9.5 to 11): the only GLPI I/O.

The session, as GLPI documents it (``apirest.md``):

1. ``GET initSession`` with ``Authorization: user_token <token>`` and ``App-Token: <token>``
   answers ``{"session_token": "..."}``;
2. ``GET search/<itemtype>?range=0-49&forcedisplay[0]=1...`` answers ``{"totalcount": N,
   "count": n, "data": [{"1": "name", "80": "entity", ...}, ...]}`` with ``Content-Range:
   0-49/N`` (HTTP 206 while rows remain, 200 for the last page; no Content-Range when N is 0);
   veille asks for the next range until it has N rows;
3. ``GET killSession``, always, even after an error.

GLPI reports errors as a JSON array ``["ERROR_CODE", "message"]``. They become the project's
errors (:mod:`collector.glpi.errors`). Tokens travel in headers only, and no message carries one.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from collector.glpi.assets import SEARCH_OPTION, GlpiAsset, Itemtype, search_options
from collector.glpi.csv_export import clean
from collector.glpi.errors import GlpiAuthError, GlpiProtocolError, GlpiUnavailable

log = logging.getLogger(__name__)

QueryParams = list[tuple[str, str | int | float | bool | None]]

_RANGE = re.compile(r"^\s*(\d+)-(\d+)/(\d+)\s*$")
_AUTH_CODES = {
    "ERROR_GLPI_LOGIN_USER_TOKEN",
    "ERROR_GLPI_LOGIN",
    "ERROR_LOGIN_PARAMETERS_MISSING",
    "ERROR_APP_TOKEN_PARAMETERS_MISSING",
    "ERROR_WRONG_APP_TOKEN_PARAMETER",
    "ERROR_NOT_ALLOWED_IP",
    "ERROR_SESSION_TOKEN_INVALID",
    "ERROR_RIGHT_MISSING",
}


def _glpi_error(resp: httpx.Response) -> tuple[str, str]:
    """GLPI's ``[code, message]`` error body, or the HTTP status when the body is not one."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, list) and len(body) >= 2 and isinstance(body[0], str):
        return body[0], str(body[1])
    return f"HTTP {resp.status_code}", resp.reason_phrase


class GlpiClient:
    """A GLPI API session; use as a context manager (``initSession`` ... ``killSession``)."""

    def __init__(
        self,
        url: str,
        user_token: SecretStr,
        app_token: SecretStr | None = None,
        *,
        page_size: int = 50,
        timeout_seconds: float = 30.0,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.page_size = page_size
        self._user_token = user_token
        self._app_token = app_token
        self._session: str | None = None
        self._http = httpx.Client(timeout=timeout_seconds, verify=verify, transport=transport)

    def __enter__(self) -> GlpiClient:
        try:
            self.init_session()
        except BaseException:
            self._http.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.kill_session()
        finally:
            self._http.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._app_token is not None and self._app_token.get_secret_value():
            headers["App-Token"] = self._app_token.get_secret_value()
        if self._session:
            headers["Session-Token"] = self._session
        return headers

    def _get(
        self, endpoint: str, params: QueryParams | None = None, **headers: str
    ) -> httpx.Response:
        try:
            resp = self._http.get(
                f"{self.url}/{endpoint}", params=params, headers={**self._headers(), **headers}
            )
        except httpx.TimeoutException:
            raise GlpiUnavailable(f"GLPI at {self.url}: no answer to {endpoint} in time") from None
        except httpx.TransportError as exc:
            raise GlpiUnavailable(f"GLPI at {self.url}: {type(exc).__name__}: {exc}") from None
        if resp.status_code >= 500:
            code, message = _glpi_error(resp)
            raise GlpiUnavailable(f"GLPI {endpoint}: {code}: {message}")
        return resp

    def init_session(self) -> None:
        """Log in with the user token; GLPI's refusal becomes :class:`GlpiAuthError`."""
        auth = f"user_token {self._user_token.get_secret_value()}"
        resp = self._get("initSession", Authorization=auth)
        if resp.status_code != 200:
            code, message = _glpi_error(resp)
            raise GlpiAuthError(f"GLPI initSession refused: {code}: {message}")
        token = _json(resp, "initSession").get("session_token")
        if not isinstance(token, str) or not token:
            raise GlpiProtocolError("GLPI initSession: no session_token in the answer")
        self._session = token

    def kill_session(self) -> None:
        """Log out; a failure here is logged, never raised (the import has its data)."""
        if not self._session:
            return
        try:
            resp = self._get("killSession")
            if resp.status_code != 200:
                log.warning("GLPI killSession: %s", " ".join(_glpi_error(resp)))
        except GlpiUnavailable as exc:
            log.warning("GLPI killSession: %s", exc)
        finally:
            self._session = None

    def search(self, itemtype: Itemtype) -> list[GlpiAsset]:
        """Every ``itemtype`` asset GLPI shows this user, page by page."""
        if not self._session:
            raise GlpiProtocolError("search before initSession")
        columns = [(f"forcedisplay[{i}]", str(n)) for i, n in enumerate(search_options(itemtype))]
        assets: list[GlpiAsset] = []
        start, total = 0, None
        while total is None or start < total:
            end = start + self.page_size - 1
            resp = self._get(f"search/{itemtype}", [("range", f"{start}-{end}"), *columns])
            if resp.status_code not in (200, 206):
                code, message = _glpi_error(resp)
                error = GlpiAuthError if code in _AUTH_CODES else GlpiProtocolError
                raise error(f"GLPI search/{itemtype} range {start}-{end}: {code}: {message}")
            body = _json(resp, f"search/{itemtype}")
            rows, count, total, last = _page(body, resp, itemtype, start)
            assets += [_asset(itemtype, row) for row in rows]
            if count == 0 and start < total:
                raise GlpiProtocolError(f"GLPI search/{itemtype}: empty page at {start}/{total}")
            start = last + 1
        return assets


def _json(resp: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise GlpiProtocolError(f"GLPI {what}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise GlpiProtocolError(f"GLPI {what}: expected a JSON object, got {type(body).__name__}")
    return body


def _page(
    body: dict[str, Any], resp: httpx.Response, itemtype: str, start: int
) -> tuple[list[dict[str, Any]], int, int, int]:
    """Rows, their count, the total and the last index of this page, all checked."""
    total = body.get("totalcount")
    if not isinstance(total, int) or total < 0:
        raise GlpiProtocolError(f"GLPI search/{itemtype}: no totalcount in the answer")
    data = body.get("data", [])
    if isinstance(data, dict):  # withindexes form: rows keyed by item id
        data = [{"2": k, **v} if isinstance(v, dict) else v for k, v in data.items()]
    rows = data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise GlpiProtocolError(f"GLPI search/{itemtype}: data is not a list of rows")
    if total == 0:
        return [], 0, 0, start - 1
    header = resp.headers.get("Content-Range", "")
    m = _RANGE.match(header)
    if not m:
        raise GlpiProtocolError(f"GLPI search/{itemtype}: bad Content-Range {header!r}")
    first, last, of = (int(g) for g in m.groups())
    if first != start or of != total or last < first:
        raise GlpiProtocolError(
            f"GLPI search/{itemtype}: Content-Range {header} does not follow range {start}- "
            f"of {total}"
        )
    # Advance by the rows received: GLPI's documented example says 0-2/2 for two rows.
    return rows, len(rows), total, start + len(rows) - 1


def _asset(itemtype: Itemtype, row: dict[str, Any]) -> GlpiAsset:
    values = {f: clean(row.get(str(n))) for f, n in SEARCH_OPTION.items()}
    glpi_id = values["id"]
    return GlpiAsset(
        itemtype=itemtype,
        where=f"{itemtype} id {glpi_id or '?'}",
        name=values["name"],
        glpi_id=glpi_id,
        location=values["location"],
        type=values["type"],
        serial=values["serial"],
        otherserial=values["otherserial"],
        status=values["status"],
        entity=values["entity"],
        uuid=values["uuid"],
    )
