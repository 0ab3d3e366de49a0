"""Power sources against recorded sysfs trees and command outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.commands import CommandError, recorded
from agent.config import AgentConfig, PowerProfile
from agent.sources import FALLBACK, SOURCES
from agent.sources.base import SourceUnavailable
from agent.sources.battery import BatterySource, PowerSupplies, SupplyStatus, read_power_supplies
from agent.sources.footprint import FootprintSource
from agent.sources.ipmi import COMMAND, IpmiSource, parse_dcmi_power_reading
from agent.sources.model import CpuMeter, ModelSource
from agent.sources.rapl import RaplSource
from agent.sources.system import SystemSource
from agent.wiring import build_readers
from contract.wire import Quality, Reading
from tests.agent.conftest import AGENT_FIXTURES, copy_sysfs, fixture_text


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _by(readings: list[Reading], metric: str, component: str | None = None) -> Reading:
    found = {r.component: r for r in readings if r.metric == metric}.get(component)
    assert found is not None, f"no {metric}[{component}]"
    return found


def _has(readings: list[Reading], metric: str, component: str | None = None) -> bool:
    return any(r.metric == metric and r.component == component for r in readings)


def test_registry_is_explicit_and_ordered() -> None:
    assert list(SOURCES) == ["rapl", "ipmi", "battery", "model"]
    assert {"model"} == FALLBACK


def test_rapl_counts_a_wrap_and_derives_power(tmp_path: Path) -> None:
    root = copy_sysfs("powercap_t0", tmp_path / "powercap")
    clock = FakeClock()
    rapl = RaplSource(root, clock=clock)
    first = rapl.read()
    # First read: counters only, package/dram/psys kept, core/uncore/mmio twins skipped.
    assert {r.component for r in first} == {"package-0", "dram-0", "psys"}
    assert all(r.metric == "energy_joules_total" for r in first)
    assert all(r.source == "rapl" and r.quality is Quality.MEASURED for r in first)
    assert _by(first, "energy_joules_total", "package-0").value == pytest.approx(262101.0)

    copy_sysfs("powercap_t1", root)  # 60 s later: the package counter wrapped
    clock.t += 60
    second = rapl.read()
    pkg_j = 2001000000 + 262143328850 - 262101000000
    assert _by(second, "power_watts", "package-0").value == pytest.approx(
        pkg_j / 1e6 / 60, abs=1e-3
    )
    assert _by(second, "energy_joules_total", "package-0").value == pytest.approx(
        262101.0 + pkg_j / 1e6, abs=1e-3
    )
    assert _by(second, "energy_counter_wraps_total", "package-0").value == 1
    assert not _has(second, "energy_counter_wraps_total", "dram-0")
    assert _by(second, "power_watts", "dram-0").value == pytest.approx(2.0)
    assert _by(second, "power_watts", "psys").value == pytest.approx(40.0)


def test_rapl_missing_tree_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable) as err:
        RaplSource(tmp_path / "nothing").read()
    assert "modprobe intel_rapl_msr" in err.value.fix


@pytest.mark.parametrize(
    ("fixture", "watts"),
    [
        ("dcmi_power_reading_dell_r740.txt", 248.0),
        ("dcmi_power_reading_openbmc_deactivated.txt", 154.0),
    ],
)
def test_ipmi_reads_recorded_dcmi_outputs(tmp_path: Path, fixture: str, watts: float) -> None:
    (tmp_path / "ipmi0").touch()
    run = recorded({COMMAND: fixture_text(f"ipmi/{fixture}")})
    [r] = IpmiSource(run, dev_root=tmp_path).read()
    assert (r.metric, r.value, r.source, r.quality, r.component) == (
        "power_watts",
        watts,
        "ipmi",
        Quality.MEASURED,
        None,
    )


def test_ipmi_parser_keeps_all_figures() -> None:
    dcmi = parse_dcmi_power_reading(fixture_text("ipmi/dcmi_power_reading_dell_r740.txt"))
    assert (dcmi.minimum_watts, dcmi.maximum_watts, dcmi.average_watts) == (96, 412, 231)
    assert dcmi.activated is True


def test_ipmi_deactivated_zero_is_not_a_reading(tmp_path: Path) -> None:
    (tmp_path / "ipmi0").touch()
    run = recorded({COMMAND: fixture_text("ipmi/dcmi_power_reading_deactivated.txt")})
    with pytest.raises(SourceUnavailable, match="deactivated"):
        IpmiSource(run, dev_root=tmp_path).read()


def test_ipmi_failures_explain_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="ipmi0 is missing"):
        IpmiSource(recorded({}), dev_root=tmp_path).read()
    (tmp_path / "ipmi0").touch()
    missing = CommandError(COMMAND, "missing", "ipmitool is not installed")
    with pytest.raises(SourceUnavailable) as err:
        IpmiSource(recorded({COMMAND: missing}), dev_root=tmp_path).read()
    assert "apt install ipmitool" in err.value.fix
    denied = CommandError(COMMAND, "failed", fixture_text("ipmi/ipmitool_no_device_stderr.txt"))
    with pytest.raises(SourceUnavailable, match="Could not open device"):
        IpmiSource(recorded({COMMAND: denied}), dev_root=tmp_path).read()


def test_battery_discharging_power_now_ignores_a_mouse() -> None:
    root = AGENT_FIXTURES / "sysfs" / "power_supply_discharging"
    [r] = BatterySource(root).read()
    assert (r.metric, r.value, r.source, r.quality) == (
        "power_watts",
        9.83,
        "battery",
        Quality.MEASURED,
    )
    status = read_power_supplies(root)
    assert (status.batteries, status.on_battery) == (1, True)


def test_battery_current_times_voltage_sums_two_batteries() -> None:
    [r] = BatterySource(AGENT_FIXTURES / "sysfs" / "power_supply_current").read()
    assert r.value == pytest.approx(0.652 * 12.104 + 0.310 * 11.95, abs=1e-3)


def test_battery_on_ac_reports_nothing() -> None:
    root = AGENT_FIXTURES / "sysfs" / "power_supply_ac"
    assert BatterySource(root).read() == []
    assert read_power_supplies(root).on_battery is False


def test_no_battery_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        BatterySource(tmp_path).read()


def test_model_uses_kind_defaults_and_is_estimated() -> None:
    desktop = ModelSource(
        "desktop", cpu_utilisation=lambda: 0.5, logical_cpus=8, memory_bytes=2**34
    )
    [r] = desktop.read()
    assert r.value == pytest.approx(70 + 0.5 * (175 - 70))
    assert (r.source, r.quality, r.component) == ("model", Quality.ESTIMATED, None)
    server = ModelSource(
        "server", cpu_utilisation=lambda: 0.0, logical_cpus=16, memory_bytes=64 * 2**30
    )
    assert server.read()[0].value == pytest.approx(16 * 0.74 + 64 * 0.392)
    assert "Cloud Carbon Footprint" in server.origin


def test_model_adds_the_display_by_its_state() -> None:
    display = {"on": True}
    profile = PowerProfile(idle_watts=30, max_watts=90, display_watts=25)
    model = ModelSource(
        "desktop",
        profile,
        cpu_utilisation=lambda: 0.0,
        display_on=lambda: display["on"],
        logical_cpus=4,
        memory_bytes=2**33,
    )
    on = model.read()
    assert _by(on, "power_watts").value == 55
    assert _by(on, "power_watts", "display").value == 25
    display["on"] = False
    off = model.read()
    assert [r.value for r in off] == [30]


def test_cpu_meter_is_a_ratio() -> None:
    meter = CpuMeter()
    for _ in range(2):
        assert 0.0 <= meter() <= 1.0


def test_uptime_and_footprint_readings() -> None:
    [up] = SystemSource(lambda: 1234.5).read()
    assert (up.metric, up.value, up.source) == ("uptime_seconds", 1234.5, "os")
    readings = FootprintSource(lambda: 4096, lambda: {"overflow": 3}).read()
    by_metric = {r.metric: r for r in readings}
    assert by_metric["agent_cpu_seconds_total"].value > 0
    assert 5e6 < by_metric["agent_resident_bytes"].value < 2e9
    assert by_metric["agent_sent_bytes_total"].value == 4096
    assert by_metric["agent_spool_dropped_total"].component == "overflow"
    assert {r.source for r in readings} == {"self"}


def test_power_supplies_scan_once_within_max_age() -> None:
    root = AGENT_FIXTURES / "sysfs" / "power_supply_discharging"
    clock, scans = FakeClock(), []

    def scan(path: Path) -> SupplyStatus:
        scans.append(path)
        return read_power_supplies(path)

    supplies = PowerSupplies(root, max_age=1.0, clock=clock, scan=scan)
    first = supplies.status()
    clock.t += 0.5
    assert supplies.status() is first
    assert len(scans) == 1
    clock.t += 0.5  # max_age reached: the next round scans again
    assert supplies.status() == first
    assert len(scans) == 2


def test_running_agent_reads_the_supplies_once_a_round(tmp_path: Path) -> None:
    """The battery's draw and the state's "on battery" come from one scan: a change on disk
    between the two reads of a round shows in neither (it shows in the next round)."""
    copy_sysfs("power_supply_discharging", tmp_path / "class" / "power_supply")
    config = AgentConfig(device_id="pc-1", kind="laptop", sysfs_root=tmp_path)
    state, sources = build_readers(config, run=recorded({}))
    [draw] = sources["battery"].read()
    (tmp_path / "class" / "power_supply" / "AC" / "online").write_text("1\n")
    assert draw.value == 9.83
    assert state.on_battery() is True  # the same round's scan, not a second one
    assert BatterySource(tmp_path / "class" / "power_supply").read() == []  # unshared: on AC
