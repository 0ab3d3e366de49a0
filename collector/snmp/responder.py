"""An in-process SNMP agent over real UDP: serves recorded or simulated datasets.

Like snmpsim, the v1/v2c community selects the dataset (community = dataset name); a v3 user
is bound to one dataset. GET, GETNEXT and GETBULK are answered by pysnmp's own command
responders over a small MIB controller that walks a sorted OID list, so every reply is real
SNMP on the wire (net-snmp ``snmpwalk`` reads it). The agent runs on its own asyncio loop in a
background thread; :meth:`SnmpResponder.set_value` is thread-safe, so a simulator can drive
live values (W, Wh counters, sysUpTime in 1/100 s) while pollers read them.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import error as smi_error

from collector.snmp.snmprec import Oid, Record, parse_oid

_AUTH = {"SHA": config.USM_AUTH_HMAC96_SHA, "MD5": config.USM_AUTH_HMAC96_MD5}
_PRIV = {"AES": config.USM_PRIV_CFB128_AES, "DES": config.USM_PRIV_CBC56_DES}


def to_pysnmp(tag: str, value: str) -> Any:
    """An snmprec value (tag + text) as the pysnmp object put on the wire."""
    if tag == "2":
        return rfc1902.Integer32(int(value))
    if tag == "4":
        return rfc1902.OctetString(value.encode("utf-8", errors="surrogateescape"))
    if tag == "4x":
        return rfc1902.OctetString(hexValue=value.strip())
    if tag == "5":
        return rfc1902.Null("")
    if tag == "6":
        return rfc1902.ObjectIdentifier(parse_oid(value))
    if tag == "64":
        return rfc1902.IpAddress(value.strip())
    if tag == "65":
        return rfc1902.Counter32(int(value))
    if tag == "66":
        return rfc1902.Gauge32(int(value))
    if tag == "67":
        return rfc1902.TimeTicks(int(value))
    if tag == "70":
        return rfc1902.Counter64(int(value))
    raise ValueError(f"unknown snmprec tag {tag!r}")


def _guess_tag(value: int | str) -> str:
    if isinstance(value, str):
        return "4"
    if value < 0:
        return "2"
    return "66" if value < 2**32 else "70"


class _Dataset:
    """One device's variables, kept sorted by OID for GETNEXT."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.values: dict[Oid, Any] = {r.oid: to_pysnmp(r.tag, r.value) for r in records}
        self.oids: list[Oid] = sorted(self.values)

    def get(self, oid: Oid) -> Any:
        value = self.values.get(oid)
        if value is not None:
            return value
        # An existing object with another instance is noSuchInstance, else noSuchObject.
        i = bisect_left(self.oids, oid[:-1])
        if i < len(self.oids) and self.oids[i][: len(oid) - 1] == oid[:-1]:
            return rfc1905.noSuchInstance
        return rfc1905.noSuchObject

    def next(self, oid: Oid) -> tuple[Oid, Any]:
        i = bisect_right(self.oids, oid)
        if i >= len(self.oids):
            return oid, rfc1905.endOfMibView
        found = self.oids[i]
        return found, self.values[found]

    def set(self, oid: Oid, value: int | str, tag: str | None) -> None:
        old = self.values.get(oid)
        if old is not None and tag is None:
            self.values[oid] = old.clone(value.encode() if isinstance(value, str) else value)
            return
        if old is None:
            insort(self.oids, oid)
        self.values[oid] = to_pysnmp(tag or _guess_tag(value), str(value))


class _Instrumentation:
    """The MIB controller pysnmp's command responders call (read and read-next only)."""

    def __init__(self, responder: SnmpResponder) -> None:
        self._responder = responder

    def _dataset(self, ctx: dict[str, Any]) -> _Dataset:
        exec_ctx = ctx["snmpEngine"].observer.get_execution_context(
            "rfc3412.receiveMessage:request"
        )
        return self._responder._dataset_for(
            bytes(exec_ctx["contextName"]), bytes(exec_ctx["securityName"])
        )

    def read_variables(self, *var_binds: Any, **ctx: Any) -> list[tuple[Any, Any]]:
        ds = self._dataset(ctx)
        with self._responder._lock:
            return [(name, ds.get(tuple(name))) for name, _ in var_binds]

    def read_next_variables(self, *var_binds: Any, **ctx: Any) -> list[tuple[Any, Any]]:
        ds = self._dataset(ctx)
        out: list[tuple[Any, Any]] = []
        with self._responder._lock:
            for name, _ in var_binds:
                oid, value = ds.next(tuple(name))
                out.append((rfc1902.ObjectName(oid), value))
        return out


class SnmpResponder:
    """A multi-dataset SNMP agent on ``host:port`` (port 0 picks a free UDP port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._lock = threading.RLock()
        self._datasets: dict[str, _Dataset] = {}
        self._v3_users: dict[bytes, str] = {}
        self._v3_entries: list[tuple[str, str, str, str, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._engine: Any = None
        self._context: Any = None
        self._instrum = _Instrumentation(self)
        self._communities = 0

    # -- data -----------------------------------------------------------------------------

    def add_dataset(self, community: str, records: Iterable[Record]) -> None:
        """Serve ``records`` to requests with this community (replaces an existing dataset)."""
        ds = _Dataset(records)
        with self._lock:
            known = community in self._datasets
            self._datasets[community] = ds
        if not known:
            self._in_loop(lambda: self._register_community(community))

    def set_value(self, community: str, oid: str, value: int | str, tag: str | None = None) -> None:
        """Change (or add) one variable; an existing variable keeps its SNMP type."""
        with self._lock:
            self._datasets[community].set(parse_oid(oid), value, tag)

    def get_value(self, community: str, oid: str) -> int | str | None:
        with self._lock:
            value = self._datasets[community].values.get(parse_oid(oid))
        if value is None:
            return None
        return str(value) if isinstance(value, rfc1902.OctetString) else int(value)

    def add_v3_user(
        self,
        user: str,
        auth_key: str,
        priv_key: str,
        *,
        dataset: str,
        auth_protocol: str = "SHA",
        priv_protocol: str = "AES",
    ) -> None:
        """Accept SNMPv3 authPriv requests from ``user``, answered from ``dataset``."""
        entry = (user, auth_key, priv_key, auth_protocol, priv_protocol)
        with self._lock:
            self._v3_users[user.encode()] = dataset
            self._v3_entries.append(entry)
        self._in_loop(lambda: self._register_v3(*entry))

    def _dataset_for(self, context_name: bytes, security_name: bytes) -> _Dataset:
        with self._lock:
            name = self._v3_users.get(security_name) or context_name.decode()
            ds = self._datasets.get(name)
        if ds is None:
            raise smi_error.GenError(name=name)
        return ds

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> int:
        """Start serving in a background thread; returns the bound UDP port."""
        if self._thread is not None:
            return self.port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, self.port))
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        ready = threading.Event()
        failure: list[BaseException] = []

        def _run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                self._setup(sock)
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            self._loop = loop
            ready.set()
            loop.run_forever()
            self._engine.transport_dispatcher.close_dispatcher()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
            sock.close()

        self._thread = threading.Thread(
            target=_run, name=f"snmp-responder-{self.port}", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise RuntimeError(f"SNMP responder failed to start: {failure[0]}") from failure[0]
        return self.port

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> SnmpResponder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the responder's loop --------------------------------------------------------

    def _setup(self, sock: socket.socket) -> None:
        eng = engine.SnmpEngine()
        config.add_transport(
            eng, udp.DOMAIN_NAME, udp.UdpAsyncioTransport().open_server_mode(sock=sock)
        )
        ctx = context.SnmpContext(eng)
        ctx.context_names[b""] = self._instrum  # v3 requests: routed by user name
        self._engine, self._context = eng, ctx
        with self._lock:
            names = list(self._datasets)
        for name in names:
            self._register_community(name)
        for entry in self._v3_entries:
            self._register_v3(*entry)
        cmdrsp.GetCommandResponder(eng, ctx)
        cmdrsp.NextCommandResponder(eng, ctx)
        cmdrsp.BulkCommandResponder(eng, ctx)

    def _register_community(self, community: str) -> None:
        self._communities += 1
        config.add_v1_system(
            self._engine, f"ds{self._communities}", community, contextName=community
        )
        self._context.register_context_name(community.encode(), self._instrum)

    def _register_v3(self, user: str, auth: str, priv: str, auth_p: str, priv_p: str) -> None:
        config.add_v3_user(self._engine, user, _AUTH[auth_p], auth, _PRIV[priv_p], priv)

    def _in_loop(self, fn: Callable[[], None]) -> None:
        async def call() -> None:
            fn()

        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(call(), self._loop).result(10)
