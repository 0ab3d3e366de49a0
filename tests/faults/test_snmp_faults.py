"""SNMP targets that time out, answer with wrong types, or reset their energy counters.

Real SNMP over UDP on 127.0.0.1: recorded walks of real devices served by the
:class:`SnmpResponder` (``tests/fixtures/snmp/``), changed between polling rounds, read by the
collector's :class:`SnmpPoller`, its samples stored in a real SQLite ledger. A bad value reads
as unknown with its reason, never as a number; the other devices of the round are read as
usual; every test ends with the ledger holding exactly what the poller handed over, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from collector.analysis.energy import hourly_energy
from collector.config import SnmpSettings, SnmpTarget
from collector.ledger import Ledger
from collector.snmp.poller import RoundReport, SnmpPoller
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import load_snmprec, parse_oid
from tests.conftest import FIXTURES
from tests.faults.snmp_helpers import Rounds, SilentRelay, assert_stored_once

pytestmark = pytest.mark.integration

RECORDED = {"pdu": "apc_ap7900b", "ups": "deltaups", "epdu": "apc-epdu"}
WATTS = {"pdu": 312.0, "ups": 951.0, "epdu": 0.0}  # as recorded (tests/snmp/test_recordings)
PDU_WATTS = "1.3.6.1.4.1.318.1.1.12.1.16.0"  # PowerNet-MIB rPDULoadStatusLoad... total, W
EPDU_WH = "1.3.6.1.4.1.318.1.1.30.4.2.1.10.1"  # ePDU phase 1 energy, Wh (INTEGER, no wrap)
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
TIMEOUT, RETRIES = 1.0, 1  # generous: the responder shares the CPU with other test workers
Poll = Callable[[dict[str, int]], Rounds]


@pytest.fixture
def agent() -> Iterator[SnmpResponder]:
    """The three recorded devices on one UDP port, fresh for each test (tests change them)."""
    responder = SnmpResponder()
    for name, rec in RECORDED.items():
        responder.add_dataset(name, load_snmprec(FIXTURES / "snmp" / f"{rec}.snmprec"))
    responder.start()
    yield responder
    responder.stop()


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


@pytest.fixture
def poll(ledger: Ledger) -> Iterator[Callable[[dict[str, int]], Rounds]]:
    """Polling rounds over targets {device: UDP port} (community = device), into ``ledger``."""
    made: list[Rounds] = []

    def make(ports: dict[str, int]) -> Rounds:
        targets = [
            SnmpTarget(device_id=name, host="127.0.0.1", port=port, community=SecretStr(name))
            for name, port in ports.items()
        ]
        settings = SnmpSettings(timeout_seconds=TIMEOUT, retries=RETRIES, targets=targets)
        rounds = Rounds(SnmpPoller(settings, lambda s: None), ledger)
        rounds.poller.on_samples = rounds.on_samples
        made.append(rounds)
        return rounds

    yield make
    for rounds in made:
        rounds.close()


def _power(report: RoundReport) -> dict[str, float]:
    """Each device's total power in W as handed over in this round (no entry: unknown)."""
    return {
        s.device_id: s.value
        for r in report.results
        for s in r.samples
        if s.metric == "power_watts" and s.component is None
    }


def _result(report: RoundReport, device: str) -> tuple[str | None, tuple[str, ...]]:
    [r] = [r for r in report.results if r.device_id == device]
    return r.error, r.refused


WRONG = {
    "octet-string": ("4", "312", f"{PDU_WATTS} answered the text '312', not a number"),
    "oid": ("6", "1.3.6.1.4.1.318", f"{PDU_WATTS} answered the OID 1.3.6.1.4.1.318, not a number"),
    "negative": ("2", "-50", f"sum of {PDU_WATTS} reads -50 W, below 0: not a power draw"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_wrong_type_reads_as_unknown_with_its_reason(
    agent: SnmpResponder, poll: Poll, case: str
) -> None:
    tag, value, why = WRONG[case]
    rounds = poll(dict.fromkeys(RECORDED, agent.port))
    [good] = rounds.run()
    assert _power(good) == WATTS

    agent.set_value("pdu", PDU_WATTS, value, tag=tag)
    [bad] = rounds.run()
    error, _ = _result(bad, "pdu")
    assert error is not None and why in error
    assert _power(bad) == {"ups": WATTS["ups"], "epdu": WATTS["epdu"]}  # no number for pdu
    assert not [s for r in bad.results if r.device_id == "pdu" for s in r.samples]
    assert (bad.ok, bad.failed) == (2, 1)

    agent.set_value("pdu", PDU_WATTS, 312, tag="2")  # the device answers right again
    [back] = rounds.run()
    assert _power(back) == WATTS and back.failed == 0
    assert_stored_once(rounds)


def test_no_such_object_and_another_integer_type(agent: SnmpResponder, poll: Poll) -> None:
    rounds = poll(dict.fromkeys(RECORDED, agent.port))
    # A Counter64 where the MIB says Gauge32/INTEGER is still the same number of watts.
    agent.set_value("pdu", PDU_WATTS, 313, tag="70")
    [wide] = rounds.run()
    assert _power(wide)["pdu"] == 313.0 and _result(wide, "pdu") == (None, ())
    # The object is gone (noSuchObject): unknown, with the reason, and no number.
    records = load_snmprec(FIXTURES / "snmp" / "apc_ap7900b.snmprec")
    agent.add_dataset("pdu", [r for r in records if r.oid != parse_oid(PDU_WATTS)])
    [gone] = rounds.run()
    error, _ = _result(gone, "pdu")
    assert error is not None and "no profile finds power" in error
    assert "pdu" not in _power(gone) and gone.ok == 2
    assert_stored_once(rounds)


def test_a_negative_energy_register_is_refused_and_power_still_read(
    agent: SnmpResponder, poll: Poll
) -> None:
    rounds = poll({"epdu": agent.port})
    agent.set_value("epdu", EPDU_WH, -5)
    [report] = rounds.run()
    [result] = report.results
    assert result.error is None and result.power_watts == 0.0  # a true 0 W reads 0
    assert result.refused == (f"{EPDU_WH} answered -5, a negative value",)
    energy = {s.component: s.value for s in result.samples if s.metric == "energy_joules_total"}
    assert energy == {"phase-2": 0.0, "phase-3": 0.0}  # phase 1: unknown, not a number
    assert_stored_once(rounds)


def test_a_target_that_stops_answering_times_out_alone(agent: SnmpResponder, poll: Poll) -> None:
    with SilentRelay(agent.port).running() as relay:
        ports = {"pdu": relay.port, "ups": agent.port, "epdu": agent.port}
        rounds = poll(ports)
        [before] = rounds.run()
        assert _power(before) == WATTS

        relay.silent = True
        t0 = time.monotonic()
        [silent] = rounds.run()
        took = time.monotonic() - t0
        error, _ = _result(silent, "pdu")
        assert error is not None and "no SNMP answer" in error
        assert relay.dropped >= 1
        assert _power(silent) == {"ups": WATTS["ups"], "epdu": WATTS["epdu"]}
        assert took < rounds.poller.budget_seconds + 1.0  # the round waited for it, no more

        relay.silent = False
        [back] = rounds.run()  # after one failure it is polled again at once
        assert _power(back) == WATTS and back.failed == 0
        assert rounds.poller.errors_by_target == {"pdu": 1}
    assert_stored_once(rounds)


def test_an_energy_register_reset_mid_run(agent: SnmpResponder, poll: Poll) -> None:
    rounds = poll({"epdu": agent.port})
    uptime = 31_727_774  # as recorded, in 1/100 s
    resets = []
    for wh in (1_000, 1_100, 30, 80):  # 1,100 -> 30: someone reset the register
        uptime += 100  # a second later each time: the PDU did not restart
        agent.set_value("epdu", EPDU_WH, wh)
        agent.set_value("epdu", SYS_UPTIME, uptime)
        [report] = rounds.run()
        [result] = report.results
        assert result.error is None
        resets.append(result.resets)
    assert resets == [0, 0, 1, 0]
    assert_stored_once(rounds)

    samples = [s for s in rounds.handed if s.metric != "power_watts"]
    hours = hourly_energy(samples, max_gap_seconds=300)
    # 100 Wh, then 30 Wh from the reset to its new value, then 50 Wh: no negative step, and
    # the interval across the reset is counted, not lost.
    assert sum(h.kwh for h in hours) == pytest.approx(0.180)
    assert all(h.kwh >= 0 for h in hours)
    assert sum(h.resets for h in hours) == 1
    span = rounds.handed[-1].ts.timestamp() - rounds.handed[0].ts.timestamp()
    covered = sum(b - a for h in hours for a, b in (h.covered or ()))
    assert covered == pytest.approx(span, abs=0.01)
