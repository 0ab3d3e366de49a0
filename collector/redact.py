"""Keep secrets out of logs and command output.

Two walls. First, every place that shows a URL shows :func:`mask_url` of it (SQLAlchemy's own
``render_as_string(hide_password=True)`` for database URLs, the standard URL parser for the
others). Second, :class:`SecretFilter` on the log handlers replaces every secret value the
configuration holds (passwords, tokens, SNMP keys and communities) and any ``user:password@``
in a URL with ``***``, in the message and in the traceback, whoever logged it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"
#: Query parameters that carry a credential (libpq's ``password``, tokens of HTTP APIs).
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "sslpassword", "token", "secret", "key"})
#: Secrets shorter than this are not masked inside other words ("a" would mask every "a").
MIN_SECRET_CHARS = 3
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s]+@")


def _mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(k.lower() in SECRET_PARAMS for k, _ in pairs):
        return query
    return urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")


def mask_url(url: str) -> str:
    """``url`` with its password and credential query parameters replaced by ``***``.

    Database URLs go through SQLAlchemy's own ``render_as_string(hide_password=True)``; then,
    for every URL, the userinfo is cut at the last ``@`` as the standard URL parser does, so a
    password holding an unencoded ``@`` is hidden whole too."""
    if url.startswith(("postgresql", "sqlite", "mysql")):
        with contextlib.suppress(ArgumentError, ValueError):  # not parsed: the URL rules below
            url = make_url(url).render_as_string(hide_password=True)
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(rf"\g<head>{MASK}@", url)
    netloc, query = parts.netloc, _mask_query(parts.query)
    user, at, host = netloc.rpartition("@")
    if at and ":" in user:
        netloc = f"{user.partition(':')[0]}:{MASK}@{host}"
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing to hide: as written (urlunsplit would drop sqlite:///'s "//")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def url_secrets(url: str) -> set[str]:
    """The password and credential query values inside ``url`` (to feed the filter)."""
    found: set[str] = set()
    try:
        parts = urlsplit(url)
        if parts.password:
            found.add(parts.password)
        found |= {v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_PARAMS and v}
    except ValueError:
        pass
    try:
        password = make_url(url).password
        if password:
            found.add(str(password))
    except (ArgumentError, ValueError):
        pass
    return found


def model_secrets(model: BaseModel) -> set[str]:
    """Every secret in a settings tree: SecretStr values, and passwords in ``url`` fields."""
    return {s for s in _walk(model) if len(s) >= MIN_SECRET_CHARS}


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            field_value = getattr(value, name)
            if name.endswith("url") and isinstance(field_value, str):
                yield from url_secrets(field_value)
            else:
                yield from _walk(field_value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


class SecretFilter(logging.Filter):
    """Rewrites records so that no known secret, and no URL password, reaches a handler."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets |= {s for s in secrets if len(s) >= MIN_SECRET_CHARS}
        # longest first: a secret that contains another is masked whole
        self._ordered = sorted(self.secrets, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return _USERINFO.sub(rf"\g<head>{MASK}@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def install(secrets: Iterable[str] = (), logger: logging.Logger | None = None) -> None:
    """Put a :class:`SecretFilter` with ``secrets`` on every handler of ``logger`` (root by
    default) and on Python's last-resort handler; a handler that has one already gets the
    new secrets added to it."""
    target = logger or logging.getLogger()
    shared = SecretFilter(secrets)
    for handler in [*target.handlers, *([logging.lastResort] if logging.lastResort else [])]:
        existing = next((f for f in handler.filters if isinstance(f, SecretFilter)), None)
        if existing is None:
            handler.addFilter(shared)
        else:
            existing.add(secrets)
