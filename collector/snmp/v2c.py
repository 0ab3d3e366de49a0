"""SNMPv2c GET, GETNEXT and GETBULK over asyncio UDP: the poller's fast path.

pysnmp spends about a millisecond of CPU per request on its engine (message processing
model, MIB-checked var-binds, pyasn1 codecs); a v2c request is a few dozen bytes of BER
(RFC 3416), so for community targets :class:`V2cTransport` encodes and decodes them directly.
SNMPv3 stays on pysnmp (``collector.snmp.client``). Values come back as the client's raw
Python values (``int``, ``str``, OID tuples, ``None`` for noSuchObject / noSuchInstance /
endOfMibView); the test suite checks that this path reads every recording exactly as pysnmp
does. A request is sent ``retries + 1`` times, ``timeout`` seconds apart, before it fails.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import Sequence

from collector.snmp import errors

Oid = tuple[int, ...]
Value = int | str | Oid | None

GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
#: RFC 3416 error-status names, as pysnmp prints them.
ERROR_STATUS = [
    *("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess"),
    *("wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation"),
    *("inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed"),
    *("authorizationError", "notWritable", "inconsistentName"),
]


class DecodeError(ValueError):
    """A datagram that is not a well-formed SNMPv2c response."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _length(len(body)) + body


def _int(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _oid(oid: Oid) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise ValueError(f"OID {oid} cannot be encoded")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def encode(community: str, kind: int, request_id: int, oids: Sequence[Oid], reps: int = 0) -> bytes:
    """A v2c request; for GETBULK, ``reps`` is max-repetitions (non-repeaters 0)."""
    binds = b"".join(_tlv(0x30, _oid(o) + b"\x05\x00") for o in oids)
    second, third = (0, reps) if kind == GETBULK else (0, 0)
    pdu = _tlv(kind, _int(request_id) + _int(second) + _int(third) + _tlv(0x30, binds))
    return _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)


def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the TLV at ``pos``."""
    if pos + 2 > len(data):
        raise DecodeError("truncated")
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if n & 0x80:
        size = n & 0x7F
        if size == 0 or size > 4 or pos + size > len(data):
            raise DecodeError("bad length")
        n = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    if pos + n > len(data):
        raise DecodeError("truncated value")
    return tag, pos, pos + n


def _decode_oid(body: bytes) -> Oid:
    if not body or body[-1] & 0x80:
        raise DecodeError("bad OID")
    subids: list[int] = []
    arc = 0
    for b in body:
        arc = (arc << 7) | (b & 0x7F)
        if not b & 0x80:
            subids.append(arc)
            arc = 0
    first = min(subids[0] // 40, 2)
    return (first, subids[0] - 40 * first, *subids[1:])


def _value(tag: int, body: bytes) -> Value:
    if tag == 0x02:
        return int.from_bytes(body, "big", signed=True)
    if tag in (0x41, 0x42, 0x43, 0x46):  # Counter32, Gauge32 (Unsigned32), TimeTicks, Counter64
        return int.from_bytes(body, "big", signed=False)
    if tag in (0x04, 0x44):  # OCTET STRING, Opaque
        return body.decode("utf-8", errors="replace")
    if tag == 0x06:
        return _decode_oid(body)
    if tag == 0x40 and len(body) == 4:
        return ".".join(str(b) for b in body)
    return None  # NULL, noSuchObject, noSuchInstance, endOfMibView


def decode(data: bytes) -> tuple[int, int, int, list[tuple[Oid, Value]]]:
    """(request-id, error-status, error-index, var-binds) of a v2c response."""
    tag, pos, end = _read(data, 0)
    if tag != 0x30:
        raise DecodeError("not a message")
    tag, s, e = _read(data, pos)  # version
    tag, s, pos = _read(data, e)  # community
    tag, pos, end = _read(data, pos)
    if tag != RESPONSE:
        raise DecodeError(f"PDU type {tag:#x} is not a response")
    fields = []
    for _ in range(3):
        tag, s, e = _read(data, pos)
        fields.append(int.from_bytes(data[s:e], "big", signed=True))
        pos = e
    tag, pos, end = _read(data, pos)
    binds: list[tuple[Oid, Value]] = []
    while pos < end:
        tag, s, e = _read(data, pos)
        tag, os_, oe = _read(data, s)
        vtag, vs, ve = _read(data, oe)
        binds.append((_decode_oid(data[os_:oe]), _value(vtag, data[vs:ve])))
        pos = e
    return fields[0], fields[1], fields[2], binds


class V2cError(Exception):
    """The agent answered with an error status; ``index`` is 1-based (0: none)."""

    def __init__(self, status: int, index: int) -> None:
        name = ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else str(status)
        super().__init__(name)
        self.status, self.index = status, index


class V2cTimeout(Exception):
    """No answer after every try."""


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.pending: dict[int, tuple[tuple[str, int], asyncio.Future[bytes]]] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            request_id = decode(data)[0]
        except (DecodeError, IndexError):
            return  # not ours, or garbled: the request times out and is retried
        waiting = self.pending.get(request_id)
        source = (str(addr[0]), int(addr[1]))
        if waiting is not None and source == waiting[0] and not waiting[1].done():
            waiting[1].set_result(data)


def route_source(address: tuple[str, int], family: int = socket.AF_INET) -> str:
    """The local address the kernel would send from to reach ``address`` (no packet is sent:
    connecting a UDP socket only picks the route)."""
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(address)
        return str(probe.getsockname()[0])


class V2cTransport:
    """One UDP socket per address family and local address, bound to the loop that first used
    it. A socket never binds to the wildcard: to ``source_address`` when given, else to the
    address the kernel routes to the target (127.0.0.1 for a target on loopback)."""

    def __init__(self, resolve_ttl: float = 300.0, *, source_address: str | None = None) -> None:
        self._endpoints: dict[tuple[int, str], tuple[asyncio.DatagramTransport, _Protocol]] = {}
        self._addrs: dict[tuple[str, int], tuple[float, tuple[int, str, int]]] = {}
        self._sources: dict[tuple[int, str], str] = {}
        self._source_address = source_address
        self._ttl = resolve_ttl

    async def _address(self, host: str, port: int) -> tuple[int, str, int]:
        """(family, IP, port), resolved at most once per ``resolve_ttl`` seconds."""
        key, now = (host, port), time.monotonic()
        cached = self._addrs.get(key)
        if cached is None or now - cached[0] > self._ttl:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            family, _, _, _, sockaddr = infos[0]
            cached = self._addrs[key] = (now, (family, str(sockaddr[0]), int(sockaddr[1])))
        return cached[1]

    async def ask(
        self,
        label: str,
        host: str,
        port: int,
        community: str,
        kind: int,
        oids: Sequence[Oid],
        *,
        reps: int = 0,
        timeout: float,
        retries: int,
    ) -> list[tuple[Oid, Value]]:
        """:meth:`request` with failures as :mod:`collector.snmp.errors` naming ``label``."""
        try:
            addr = await self._address(host, port)
            return await self.request(
                addr, community, kind, oids, reps=reps, timeout=timeout, retries=retries
            )
        except V2cTimeout:
            raise errors.SnmpTimeout(
                f"{label}: no SNMP answer after {retries + 1} tries of {timeout:g} s "
                "(device down or wrong port, or wrong community)"
            ) from None
        except V2cError as exc:
            at = (
                f" at {'.'.join(map(str, oids[exc.index - 1]))}"
                if 0 < exc.index <= len(oids)
                else ""
            )
            raise errors.SnmpError(f"{label}: agent answered {exc}{at}") from None
        except (OSError, DecodeError, ValueError) as exc:
            raise errors.SnmpError(f"{label}: {exc}") from exc

    def _source(self, family: int, ip: str, port: int) -> str:
        if self._source_address is not None:
            return self._source_address
        found = self._sources.get((family, ip))
        if found is None:
            found = self._sources[(family, ip)] = route_source((ip, port), family)
        return found

    async def _socket(
        self, family: int, source: str
    ) -> tuple[asyncio.DatagramTransport, _Protocol]:
        found = self._endpoints.get((family, source))
        if found is None:
            loop = asyncio.get_running_loop()
            transport, protocol = await loop.create_datagram_endpoint(
                _Protocol, family=family, local_addr=(source, 0)
            )
            found = self._endpoints[(family, source)] = (transport, protocol)
        return found

    async def request(
        self,
        addr: tuple[int, str, int],
        community: str,
        kind: int,
        oids: Sequence[Oid],
        *,
        reps: int = 0,
        timeout: float,
        retries: int,
    ) -> list[tuple[Oid, Value]]:
        """Send one request to ``(family, ip, port)`` and return its var-binds."""
        family, ip, port = addr
        transport, protocol = await self._socket(family, self._source(family, ip, port))
        request_id = secrets.randbits(31)
        while request_id in protocol.pending:
            request_id = secrets.randbits(31)
        message = encode(community, kind, request_id, oids, reps)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        protocol.pending[request_id] = ((ip, port), future)
        try:
            for _ in range(retries + 1):
                transport.sendto(message, (ip, port))
                try:
                    data = await asyncio.wait_for(asyncio.shield(future), timeout)
                    break
                except TimeoutError:
                    continue
            else:
                raise V2cTimeout()
        finally:
            protocol.pending.pop(request_id, None)
        _, status, index, binds = decode(data)
        if status:
            raise V2cError(status, index)
        return binds

    def close(self) -> None:
        for transport, _ in self._endpoints.values():
            transport.close()
        self._endpoints.clear()
        self._addrs.clear()
        self._sources.clear()
