"""Per-device signatures, checked before a message is read: a forged reading is refused even
behind a misconfigured broker (:mod:`contract.signing` says how a message is signed).

Keys are files, one per device, in ``mqtt.signing_keys_dir``: ``<device_id>.key`` holding the
key as text (at least 16 characters; ``deploy/mosquitto/issue-credentials signing-key ID``
makes one alongside the device's broker credentials). A device with a key must sign every
message, telemetry and status: unsigned or wrongly signed is a dead letter with its reason
(``unsigned``, ``signature_malformed``, ``bad_signature``), counted on /metrics as
``veille_collector_rejects_total{reason=...}``. Devices without a key are read as before. The
directory is read again when its modification time changes (a file added, removed or renamed
into it, as ``issue-credentials`` does; checked at most every ``recheck_seconds`` with one
``stat``, so 50,000 keys cost the ingest path nothing), so a key issued or revoked needs no
restart; a file edited in place is seen once the directory changes (``touch`` it). Keys never
reach a log; a bad key file is logged by name.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from collector.ingest.rejection import Rejected
from contract.errors import ConfigError
from contract.signing import SignatureError, verify

log = logging.getLogger(__name__)

KEY_SUFFIX = ".key"
MIN_KEY_CHARS = 16


class DeviceKeys:
    """The signing keys of the devices that have one, from a directory of ``<id>.key``."""

    def __init__(self, directory: Path | None = None, recheck_seconds: float = 10.0) -> None:
        self.directory = directory
        self.recheck_seconds = recheck_seconds
        self._keys: dict[str, bytes] = {}
        self._stamp: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        if directory is not None:
            if self._stamp_now() is None or not directory.is_dir():
                # at start-up, not silently "no device signs": that would accept forgeries
                raise ConfigError(
                    "mqtt.signing_keys_dir", [f"{directory}: not a readable directory"]
                )
            self._reload()

    @classmethod
    def of(cls, keys: dict[str, bytes]) -> DeviceKeys:
        """Keys given directly (tests, embedding)."""
        made = cls()
        made._keys = dict(keys)
        return made

    def __len__(self) -> int:
        return len(self._keys)

    def key_for(self, device_id: str) -> bytes | None:
        if self.directory is not None and time.monotonic() - self._checked >= self.recheck_seconds:
            with self._lock:
                self._reload()
        return self._keys.get(device_id)

    def _stamp_now(self) -> int | None:
        assert self.directory is not None
        try:
            return self.directory.stat().st_mtime_ns
        except OSError:
            return None

    def _reload(self) -> None:
        self._checked = time.monotonic()
        stamp = self._stamp_now()
        if stamp is not None and stamp == self._stamp:
            return
        if stamp is None:
            log.error("signing keys: cannot read %s; keeping %d keys", self.directory, len(self))
            return
        assert self.directory is not None
        keys: dict[str, bytes] = {}
        for path in sorted(self.directory.glob("*" + KEY_SUFFIX)):
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                log.error("signing key %s unreadable (%s): that device is refused", path, exc)
                text = ""
            if len(text) < MIN_KEY_CHARS:
                log.error("signing key %s: shorter than %d characters", path.name, MIN_KEY_CHARS)
            # a bad key file still marks the device as keyed: its messages are refused, not
            # silently accepted unsigned
            keys[path.name[: -len(KEY_SUFFIX)]] = text.encode() if text else b""
        self._keys, self._stamp = keys, stamp
        log.info("signing keys: %d devices must sign their messages", len(keys))


def check_signature(device_id: str, payload: bytes, keys: DeviceKeys | None) -> None:
    """Raise :class:`Rejected` unless ``device_id`` has no key or ``payload`` is signed by it."""
    if keys is None:
        return
    key = keys.key_for(device_id)
    if key is None:
        return
    if len(key) < MIN_KEY_CHARS:
        raise Rejected("bad_signature", f"device {device_id}'s signing key file is unusable")
    try:
        verify(key, payload)
    except SignatureError as exc:
        raise Rejected(exc.code, f"{exc.reason} ({device_id})") from None
