"""The only place that talks SNMP: GET, GETNEXT and GETBULK walks over UDP, with pysnmp.

Reads raw values, unscaled: ``int`` for INTEGER, Gauge32, Counter32/64 and TimeTicks
(1/100 s), ``str`` for strings and IP addresses, OID tuples for OBJECT IDENTIFIERs, and
``None`` where the agent has no such object. SNMP v2c (community) and v3 authPriv are
supported. Every pysnmp failure becomes one of the errors in :mod:`collector.snmp.errors`,
and no more than :data:`MAX_IN_FLIGHT` requests of one client are on the wire at once.

The UDP socket that sends requests and receives answers is never bound to the wildcard
address: it binds to ``source_address`` (``snmp.source_address``) when configured, otherwise
to the local address the kernel routes to the target (127.0.0.1 for a target on loopback), so
that answers are accepted on that one interface only. One socket per source address.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pysnmp.entity import config as snmp_config
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.varbinds import MibViewControllerManager
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.secmod.rfc3826.priv import aes

from collector.config import SnmpTarget, SnmpV3
from collector.snmp import errors, v2c
from collector.snmp.snmprec import Oid, format_oid

MAX_IN_FLIGHT = 50
RESOLVE_TTL_SECONDS = 300.0
#: Request var-binds resolved once and reused (pysnmp resolves each against its MIB tree,
#: which costs more than the rest of a request); cleared when it grows past this.
VARBIND_CACHE_SIZE = 4096
SnmpValue = int | str | Oid
VarBind = tuple[Oid, SnmpValue | None]

_AUTH_PROTOCOLS = {
    "MD5": snmp_config.USM_AUTH_HMAC96_MD5,
    "SHA": snmp_config.USM_AUTH_HMAC96_SHA,
    "SHA256": snmp_config.USM_AUTH_HMAC192_SHA256,
    "SHA512": snmp_config.USM_AUTH_HMAC384_SHA512,
}
_PRIV_PROTOCOLS = {
    "DES": snmp_config.USM_PRIV_CBC56_DES,
    "AES": snmp_config.USM_PRIV_CFB128_AES,
    "AES192": snmp_config.USM_PRIV_CFB192_AES,
    "AES256": snmp_config.USM_PRIV_CFB256_AES,
}
_AUTH_FAILURES = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.DecryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnsupportedSecurityLevel,
)
_ABSENT = (
    rfc1905.NoSuchObject.tagSet,
    rfc1905.NoSuchInstance.tagSet,
    rfc1905.EndOfMibView.tagSet,
    rfc1902.Null.tagSet,
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to ask: address, credentials, per-request timeout (s) and retries."""

    host: str
    port: int
    community: str | None = None
    v3: SnmpV3 | None = None
    timeout: float = 2.0
    retries: int = 1

    @classmethod
    def from_target(cls, target: SnmpTarget, *, timeout: float, retries: int) -> Endpoint:
        community = target.community.get_secret_value() if target.community else None
        return cls(target.host, target.port, community, target.v3, timeout, retries)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _python_value(value: Any) -> SnmpValue | None:
    tag = value.tagSet
    if tag in _ABSENT:
        return None
    if tag == rfc1902.ObjectIdentifier.tagSet:
        return tuple(value)
    if tag == rfc1902.IpAddress.tagSet:
        return ".".join(str(b) for b in value.asOctets())
    if tag == rfc1902.OctetString.tagSet:
        return bytes(value.asOctets()).decode("utf-8", errors="replace")
    return int(value)


class SnmpClient:
    """Sends requests from engines bound to the running event loop (one per credential)."""

    def __init__(
        self,
        max_in_flight: int = MAX_IN_FLIGHT,
        *,
        fast_v2c: bool = True,
        source_address: str | None = None,
    ) -> None:
        self._max = max(1, min(max_in_flight, MAX_IN_FLIGHT))
        self.source_address = source_address
        self._fast = fast_v2c  # v2c requests through collector.snmp.v2c, not pysnmp
        self._v2c = v2c.V2cTransport(RESOLVE_TTL_SECONDS, source_address=source_address)
        self._rows_seen: dict[tuple[str, int, Oid], int] = {}  # rows per column, last walk
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._engines: dict[str, Any] = {}
        self._transports: dict[tuple[str, int, float, int], tuple[float, Any]] = {}
        self._varbinds: dict[Oid, Any] = {}

    async def get(self, ep: Endpoint, oids: Sequence[Oid]) -> dict[Oid, SnmpValue | None]:
        """GET: each OID's value, or None where the agent has no such object."""
        found = await self._request(ep, "get", oids)
        return {oid: value for (oid, value) in found}

    async def get_next(self, ep: Endpoint, oids: Sequence[Oid]) -> list[VarBind]:
        """GETNEXT: the variable after each OID (value None at the end of the MIB)."""
        return await self._request(ep, "next", oids)

    async def walk(
        self, ep: Endpoint, columns: Sequence[Oid], *, max_repetitions: int = 24
    ) -> dict[Oid, list[tuple[Oid, SnmpValue]]]:
        """Walk several table columns at once with GETBULK; rows per column, in OID order.

        Power tables are short (a few inlets) but outlet tables are long, so the first request
        asks for as many repetitions as the longest column had rows last time (4 the first
        time) and each further one for twice as many: once a device's tables are known, a walk
        is one round trip.
        """
        rows: dict[Oid, list[tuple[Oid, SnmpValue]]] = {col: [] for col in columns}
        cursor: dict[Oid, Oid] = {col: col for col in columns}
        seen = [self._rows_seen.get((ep.host, ep.port, col), 0) for col in columns]
        wanted = max(4, 1 + max(seen, default=0))
        while cursor:
            active = list(cursor)
            reps = max(1, min(wanted, max_repetitions, 60 // len(active)))
            wanted *= 2
            found = await self._request(ep, "bulk", [cursor[c] for c in active], reps)
            if not found:
                break
            for i, (oid, value) in enumerate(found):
                col = active[i % len(active)]
                if col not in cursor:
                    continue
                if value is None or oid[: len(col)] != col or oid <= cursor[col]:
                    del cursor[col]  # left the column, end of MIB, or a non-increasing OID
                    continue
                rows[col].append((oid, value))
                cursor[col] = oid
        if len(self._rows_seen) > VARBIND_CACHE_SIZE:
            self._rows_seen.clear()
        self._rows_seen.update({(ep.host, ep.port, col): len(r) for col, r in rows.items()})
        return rows

    def close(self) -> None:
        """Close the engines' sockets (they belong to the loop they were made on)."""
        for eng in self._engines.values():
            # An engine of a loop already closed has nothing left to close.
            with contextlib.suppress(Exception):
                eng.close_dispatcher()
        self._engines.clear()
        self._transports.clear()
        self._v2c.close()

    # -- internals ------------------------------------------------------------------------

    def _bind(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._slots is None:
            self.close()
            self._loop = loop
            self._slots = asyncio.Semaphore(self._max)
        return self._slots

    def _credentials(self, ep: Endpoint, source: str) -> tuple[Any, Any]:
        if ep.v3 is None:
            if ep.community is None:
                raise errors.SnmpError(f"{ep}: no community and no SNMPv3 user")
            key, auth = "v2c", CommunityData(ep.community, mpModel=1)
        else:
            v3 = ep.v3
            if v3.priv_protocol.startswith(("AES", "DES")) and aes.PysnmpCryptoError:
                raise errors.SnmpError(
                    f"{ep}: SNMPv3 privacy ({v3.priv_protocol}) needs the Python package "
                    "'cryptography', which is not installed"
                )
            secret = "\0".join(
                (v3.user, v3.auth_key.get_secret_value(), v3.priv_key.get_secret_value(),
                 v3.auth_protocol, v3.priv_protocol)
            )  # fmt: skip
            key = "v3:" + hashlib.sha256(secret.encode()).hexdigest()
            auth = UsmUserData(
                v3.user,
                authKey=v3.auth_key.get_secret_value(),
                privKey=v3.priv_key.get_secret_value(),
                authProtocol=_AUTH_PROTOCOLS[v3.auth_protocol],
                privProtocol=_PRIV_PROTOCOLS[v3.priv_protocol],
            )
        # One engine per v3 identity (pysnmp keys its USM users by name only) and per source
        # address (an engine has one UDP socket, bound by the first target it sends to).
        key = f"{source}/{key}"
        eng = self._engines.get(key)
        if eng is None:
            eng = self._engines[key] = SnmpEngine()
        return eng, auth

    def _varbind(self, eng: Any, oid: Oid) -> Any:
        """A request var-bind for ``oid``, resolved against the MIB tree once."""
        found = self._varbinds.get(oid)
        if found is None:
            if len(self._varbinds) >= VARBIND_CACHE_SIZE:
                self._varbinds.clear()
            view = MibViewControllerManager.get_mib_view_controller(eng.cache)
            found = ObjectType(ObjectIdentity(format_oid(oid))).resolve_with_mib(view)
            self._varbinds[oid] = found
        return found

    async def _target(self, ep: Endpoint) -> Any:
        # Resolving the host runs getaddrinfo in a thread: once per endpoint per TTL.
        key = (ep.host, ep.port, ep.timeout, ep.retries)
        now = time.monotonic()
        cached = self._transports.get(key)
        if cached is None or now - cached[0] > RESOLVE_TTL_SECONDS:
            target = await UdpTransportTarget.create(
                (ep.host, ep.port), timeout=ep.timeout, retries=ep.retries
            )
            source = self.source_address or v2c.route_source(target.transport_address)
            target.set_local_address((source, 0))
            cached = self._transports[key] = (now, target)
        return cached[1]

    async def _request(
        self, ep: Endpoint, kind: str, oids: Sequence[Oid], max_repetitions: int = 0
    ) -> list[VarBind]:
        slots = self._bind()
        if self._fast and ep.v3 is None and ep.community is not None:
            pdu = {"get": v2c.GET, "next": v2c.GETNEXT, "bulk": v2c.GETBULK}[kind]
            async with slots:
                return await self._v2c.ask(
                    str(ep), ep.host, ep.port, ep.community, pdu, oids,
                    reps=max_repetitions, timeout=ep.timeout, retries=ep.retries,
                )  # fmt: skip
        async with slots:
            try:
                target = await self._target(ep)
                eng, auth = self._credentials(ep, target.iface[0])
                var_binds = [self._varbind(eng, oid) for oid in oids]
                if kind == "get":
                    call = get_cmd(eng, auth, target, ContextData(), *var_binds, lookupMib=False)
                elif kind == "next":
                    call = next_cmd(eng, auth, target, ContextData(), *var_binds, lookupMib=False)
                else:
                    call = bulk_cmd(
                        eng, auth, target, ContextData(), 0, max_repetitions, *var_binds,
                        lookupMib=False,
                    )  # fmt: skip
                indication, status, index, replies = await call
            except errors.SnmpError:
                raise
            except Exception as exc:  # pysnmp raises its own PySnmpError family, and OSError
                raise errors.SnmpError(f"{ep}: {exc}") from exc
        if indication:
            raise _indication_error(ep, indication)
        if status:
            where = ""
            if index and 0 < int(index) <= len(oids):
                where = f" at {format_oid(oids[int(index) - 1])}"
            text = status.prettyPrint() if hasattr(status, "prettyPrint") else str(status)
            raise errors.SnmpError(f"{ep}: agent answered {text}{where}")
        return [(tuple(name), _python_value(value)) for name, value in replies]


def _indication_error(ep: Endpoint, indication: Any) -> errors.SnmpError:
    if isinstance(indication, errind.RequestTimedOut):
        tries = ep.retries + 1
        hint = "device down or wrong port, or " + (
            "wrong community" if ep.v3 is None else "wrong SNMPv3 privacy key"
        )
        return errors.SnmpTimeout(
            f"{ep}: no SNMP answer after {tries} tries of {ep.timeout:g} s ({hint})"
        )
    if isinstance(indication, _AUTH_FAILURES):
        user = ep.v3.user if ep.v3 else "community"
        return errors.SnmpAuthError(f"{ep}: SNMPv3 user {user!r} refused: {indication}")
    return errors.SnmpError(f"{ep}: {indication}")
