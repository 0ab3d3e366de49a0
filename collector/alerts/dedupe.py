"""What is new for a channel: the deduplication the dispatcher applies before queueing.

An event is identified by (key, state). It is new for a channel when the channel has not
delivered it (``alert_deliveries``) and it is not queued for that channel right now. When the
log cannot be read, everything counts as new: sending twice beats never sending a resolution.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from collector.alerts.delivered import DeliveryLog, DeliveryLogError, Ident
from collector.alerts.events import RESOLUTIONS, AlertEvent

log = logging.getLogger(__name__)


class Deduper:
    """Past deliveries (the ledger) and pending ones (memory), per channel."""

    def __init__(self, delivery_log: DeliveryLog | None) -> None:
        self.delivery_log = delivery_log
        self._lock = threading.Lock()
        self._pending: set[tuple[str, str, str]] = set()  # (channel, key, state) queued now

    def queued(self, channel: str, idents: Iterable[Ident]) -> None:
        with self._lock:
            self._pending.update((channel, *i) for i in idents)

    def done(self, channel: str, idents: Iterable[Ident]) -> None:
        """Delivered or given up: no longer pending."""
        with self._lock:
            self._pending.difference_update((channel, *i) for i in idents)

    def _delivered(self, channel: str, idents: list[Ident]) -> set[Ident] | None:
        if self.delivery_log is None or not idents:
            return set()
        try:
            return self.delivery_log.delivered(channel, idents)
        except DeliveryLogError as exc:
            log.warning("alerts: %s: cannot check past deliveries: %s", channel, exc)
            return None

    def fresh_idents(self, channel: str, idents: list[Ident]) -> list[Ident]:
        with self._lock:
            idents = [i for i in idents if (channel, *i) not in self._pending]
        done = self._delivered(channel, idents) or set()
        return [i for i in idents if i not in done]

    def fresh(self, channel: str, events: list[AlertEvent]) -> list[AlertEvent]:
        """``events`` new for ``channel``, each (key, state) once."""
        fresh = set(self.fresh_idents(channel, [(e.key, e.state) for e in events]))
        out, seen = [], set()
        for e in events:
            ident = (e.key, e.state)
            if ident in fresh and ident not in seen:
                seen.add(ident)
                out.append(e)
        return out

    def announced_only(self, channel: str, events: list[AlertEvent]) -> list[AlertEvent]:
        """Drop resolutions of violations ``channel`` never announced (resolved before the
        digest): a "complies again" notice about something never reported is noise."""
        resolved = [e for e in events if e.kind in RESOLUTIONS]
        if not resolved or self.delivery_log is None:
            return events
        found = self._delivered(
            channel, [(e.key, s) for e in resolved for s in ("open", "repeated")]
        )
        if found is None:
            return events
        told = {k for k, _ in found}
        with self._lock:
            told |= {k for c, k, _ in self._pending if c == channel}
        return [e for e in events if e.kind not in RESOLUTIONS or e.key in told]
