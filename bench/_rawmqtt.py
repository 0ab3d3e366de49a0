"""A load generator that costs the machine as little as it can: MQTT 3.1.1 PUBLISH packets at
QoS 1, encoded before the start signal, written to one TCP socket, PUBACKs read back.

``collector_throughput.py`` runs its publishers on the same two cores as the collector it
measures. A paho publisher spends about as much CPU per message as the collector's own MQTT
client (building each packet, its bookkeeping, a thread), and all of it before the collector
has its cores back; this one writes bytes that are ready and counts 4-byte acknowledgements.
What the broker receives is the same: the same topics and payloads, at QoS 1, at most
``window`` unacknowledged (``--publisher paho`` keeps paho's, for comparison).

Only what a publisher with no subscription meets is read: CONNACK, PUBACK, PINGRESP. Anything
else, or a PUBACK for an id not in flight, ends the run with an error rather than a count.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from typing import Any

CONNACK, PUBACK, PINGRESP = 0x20, 0x40, 0xD0
_CHUNK = 64  # packets per write


def remaining_length(n: int) -> bytes:
    """MQTT's variable-length integer (1 to 4 bytes)."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def connect_packet(client_id: str, keepalive: int = 60) -> bytes:
    """CONNECT, protocol level 4 (3.1.1), clean session, no credentials."""
    body = _string("MQTT") + bytes([4, 0x02]) + keepalive.to_bytes(2, "big") + _string(client_id)
    return bytes([0x10]) + remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    """PUBLISH at QoS 1 (fixed header 0x32), not retained."""
    body = _string(topic) + packet_id.to_bytes(2, "big") + payload
    return bytes([0x32]) + remaining_length(len(body)) + body


class RawPublisher:
    """One connection; :meth:`publish` sends ``messages`` with at most ``window`` in flight."""

    def __init__(self, host: str, port: int, client_id: str, *, window: int = 400) -> None:
        if not 0 < window < 65535:
            raise ValueError(f"window must be between 1 and 65534, not {window}")
        self.window = window
        self._sock = socket.create_connection((host, port), timeout=60)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""
        self._sock.sendall(connect_packet(client_id))
        kind, body = self._packet()
        if kind != CONNACK or body[1:2] != b"\x00":
            raise ConnectionError(f"broker refused the connection: {kind:#x} {body!r}")

    @staticmethod
    def encode(messages: Iterable[tuple[str, bytes]]) -> list[tuple[bytes, int]]:
        """Each (topic, payload) as its PUBLISH packet and payload size, packet ids in order:
        done before the start signal, so that the run only writes bytes."""
        return [(publish_packet(t, p, 1 + n % 65534), len(p)) for n, (t, p) in enumerate(messages)]

    def publish(
        self, packets: list[tuple[bytes, int]], *, deadline: float = float("inf")
    ) -> dict[str, Any]:
        """Send the packets of :meth:`encode` until ``deadline`` (monotonic), wait for their
        PUBACKs; {acked, attempted, bytes} (acked: distinct packets the broker acknowledged)."""
        in_flight: set[int] = set()
        acked = attempted = size = 0
        while attempted < len(packets) and time.monotonic() < deadline:
            room = min(self.window - len(in_flight), _CHUNK, len(packets) - attempted)
            if room <= 0:
                acked += self._acks(in_flight)
                continue
            chunk = packets[attempted : attempted + room]
            for n in range(attempted, attempted + room):
                in_flight.add(1 + n % 65534)
            self._sock.sendall(b"".join(p for p, _ in chunk))
            size += sum(s for _, s in chunk)
            attempted += room
        while in_flight:
            acked += self._acks(in_flight)
        return {"acked": acked, "attempted": attempted, "bytes": size}

    def close(self) -> None:
        try:
            self._sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self._sock.close()

    def _acks(self, in_flight: set[int]) -> int:
        """Read at least one packet; the number of PUBACKs among them."""
        n = 0
        while True:
            kind, body = self._packet()
            if kind == PUBACK:
                packet_id = int.from_bytes(body[:2], "big")
                if packet_id not in in_flight:
                    raise ConnectionError(f"PUBACK for packet {packet_id}, not in flight")
                in_flight.discard(packet_id)
                n += 1
            elif kind != PINGRESP:
                raise ConnectionError(f"unexpected packet {kind:#x} from the broker")
            if len(self._buf) < 2:
                return n

    def _packet(self) -> tuple[int, bytes]:
        """The next packet's type (high nibble of the first byte) and body."""
        while True:
            parsed = _parse(self._buf)
            if parsed is not None:
                kind, body, rest = parsed
                self._buf = rest
                return kind, body
            data = self._sock.recv(65536)
            if not data:
                raise ConnectionError("the broker closed the connection")
            self._buf += data


def _parse(buf: bytes) -> tuple[int, bytes, bytes] | None:
    """(type, body, rest) of the first whole packet in ``buf``, None if it is not all there."""
    length, shift, i = 0, 0, 1
    while True:
        if i >= len(buf):
            return None
        length |= (buf[i] & 0x7F) << shift
        shift += 7
        i += 1
        if not buf[i - 1] & 0x80:
            break
        if shift > 21:
            raise ConnectionError("malformed remaining length from the broker")
    if len(buf) < i + length:
        return None
    return buf[0] & 0xF0, buf[i : i + length], buf[i + length :]


def cpu_seconds_of_self() -> float:
    """User + system CPU seconds of this process so far."""
    t = os.times()
    return t.user + t.system
