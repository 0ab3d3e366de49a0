"""Validate one MQTT message before anything is stored. Pure: bytes and times in, verdict out.

Checks, in order: the topic (site and device id must be identifiers), size, JSON (nesting
depth and number size included), schema version (a newer schema is rejected whole with a
clear reason, never half-read), the model itself, the device id in the topic against the
payload, then the bounds of every field
(:mod:`collector.ingest.bounds`: time window, physical limits, strings, slept intervals).
Each rejection carries a short ``code`` for metrics and a human reason for the dead-letter
store. Agents' payloads are read by the fast path first (:mod:`collector.ingest.fast`,
msgspec); when it is not sure, this module's full path decides. Whatever the bytes,
:func:`validate` returns a verdict or raises :class:`Rejected`: any other exception from
parsing is turned into a rejection that names it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from collector.ingest import fast
from collector.ingest.bounds import Bounds, Window, check_status, check_telemetry, default_bounds
from collector.ingest.rejection import Rejected
from collector.ingest.signature import DeviceKeys, check_signature
from collector.wire import Message
from contract.schema import IDENT_PATTERN, SCHEMA_VERSION, Status, Telemetry, parse_topic

__all__ = ["Limits", "Rejected", "ValidStatus", "ValidTelemetry", "validate"]

#: The deepest a valid message nests (message > state > slept > interval is 4); a deeper
#: document is refused before the model sees it.
MAX_DEPTH = 8
_IDENT = re.compile(IDENT_PATTERN)


@dataclass(frozen=True, slots=True)
class Limits:
    max_payload_bytes: int = 1_048_576
    max_clock_skew: timedelta = timedelta(minutes=5)
    max_backlog: timedelta = timedelta(days=30)
    bounds: Bounds = field(default_factory=default_bounds)
    #: read agents' payloads with :mod:`collector.ingest.fast` first (same verdicts; False
    #: for the tests that compare both paths)
    fast_path: bool = True
    signing_keys: DeviceKeys | None = None  # devices that sign (collector/ingest/signature.py)


@dataclass(frozen=True, slots=True)
class ValidTelemetry:
    site: str
    message: Message
    clock_skew_seconds: float


@dataclass(frozen=True, slots=True)
class ValidStatus:
    site: str
    status: Status


def _load(payload: bytes, limits: Limits) -> dict[str, object]:
    if len(payload) > limits.max_payload_bytes:
        raise Rejected(
            "too_large",
            f"payload of {len(payload)} bytes exceeds "
            f"{limits.max_payload_bytes} (mqtt.max_payload_bytes)",
        )
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected("bad_json", f"not JSON: {exc}") from None
    except RecursionError:
        raise Rejected("too_deep", f"JSON nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise Rejected("number_range", f"number out of range: {exc}") from None
    if not isinstance(doc, dict):
        raise Rejected("bad_json", "JSON document is not an object")
    if _depth(doc) > MAX_DEPTH:
        raise Rejected("too_deep", f"JSON nests deeper than {MAX_DEPTH} levels")
    version = doc.get("schema")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Rejected("schema_version", "missing or non-integer 'schema' version")
    if version > SCHEMA_VERSION:
        raise Rejected(
            "schema_version",
            f"schema {version} is newer than this collector reads "
            f"({SCHEMA_VERSION}); upgrade the collector",
        )
    if version < 1:
        raise Rejected("schema_version", f"schema {version} does not exist")
    return doc


def _depth(doc: object) -> int:
    """How deeply ``doc`` nests (a scalar is 0), without recursion."""
    deepest = 0
    todo: list[tuple[object, int]] = [(doc, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            todo.extend((child, level + 1) for child in children)
    return deepest


def _model_error(exc: ValidationError) -> Rejected:
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return Rejected("schema", f"{key}: {first['msg']}{more}")


def validate(
    topic: str, payload: bytes, received_at: datetime, limits: Limits
) -> ValidTelemetry | ValidStatus:
    """Validate a message from ``topic``; raise :class:`Rejected` with the reason, and nothing
    else, whatever the payload."""
    try:
        return _validate(topic, payload, received_at, limits)
    except Rejected:
        raise
    except Exception as exc:  # a parser's own limit: nothing may escape with the message
        raise Rejected("invalid", f"unreadable message ({type(exc).__name__}: {exc})") from None


def _validate(
    topic: str, payload: bytes, received_at: datetime, limits: Limits
) -> ValidTelemetry | ValidStatus:
    try:
        site, device_id, kind = parse_topic(topic)
    except ValueError as exc:
        raise Rejected("topic", str(exc)) from None
    for part, value in (("site", site), ("device_id", device_id)):
        if not _IDENT.fullmatch(value):
            raise Rejected("topic", f"{part} {value[:130]!r} in the topic is not {IDENT_PATTERN}")
    check_signature(device_id, payload, limits.signing_keys)
    window = Window(
        received_at, received_at - limits.max_backlog, received_at + limits.max_clock_skew
    )
    msg: Message | None = None
    if kind == "telemetry" and limits.fast_path and len(payload) <= limits.max_payload_bytes:
        msg = fast.decode(payload)
    if msg is None or msg.device_id != device_id:
        doc = _load(payload, limits)
        if doc.get("device_id") != device_id:
            raise Rejected(
                "device_mismatch",
                f"device_id {doc.get('device_id')!r} in the payload "
                f"differs from {device_id!r} in the topic",
            )
        try:
            if kind == "status":
                status = Status.model_validate(doc)
                check_status(status, window, limits.bounds)
                return ValidStatus(site, status)
            msg = Telemetry.model_validate(doc)
        except ValidationError as exc:
            raise _model_error(exc) from None
    check_telemetry(msg, window, limits.bounds)
    return ValidTelemetry(site, msg, (msg.sent_at - received_at).total_seconds())
