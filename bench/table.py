"""The benchmark table at the top of ``bench/README.md``, rendered from ``bench/results/*.json``.

Every figure of the table is read from a results file that a benchmark wrote; none is typed by
hand. Each row names its figure, veille's value, the peer it is set against (another program
measured in the same run, or the aim when there is no peer), the ratio, the command that
produced it and its results file. A row whose file is missing says so.

    .venv/bin/python bench/table.py            # print the table
    .venv/bin/python bench/table.py --write    # put it into bench/README.md, between markers
    .venv/bin/python bench/table.py --check    # exit 1 if bench/README.md's table is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
README = BENCH / "README.md"
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"

Json = dict[str, Any]
Figure = tuple[float, str]  # (value, as printed)


def _n(v: float, digits: int = 0, unit: str = "") -> Figure:
    return float(v), f"{v:,.{digits}f}{unit}"


def _mb(v: float) -> Figure:
    return float(v), f"{v / 1e6:,.1f} MB"


def _pct(v: float, digits: int = 3) -> Figure:  # v in per cent
    return float(v), f"{v:.{digits}f} %"


@dataclass(frozen=True)
class Row:
    """One figure: ``ours`` and ``peer`` read from the results file, the peer's name."""

    figure: str
    results: str
    ours: Callable[[Json], Figure]
    peer_name: str
    peer: Callable[[Json], Figure] | None
    command: str | Callable[[Json], str]  # a function: the command, from the run's parameters
    rerun: bool = False  # the code it measures was changing when it was taken
    label: Callable[[Json], str] | None = None  # the figure's name, from what was measured
    when: Callable[[Json], str] | None = None  # when it was taken, if not the file's date


def _largest(key: str, step: str) -> Callable[[Json], Figure]:
    return lambda d: _mb(d["sizes"][-1][step][key])


def _memory_label(step: str) -> Callable[[Json], str]:
    def get(d: Json) -> str:
        size = d["sizes"][-1]
        data = f"{size['hours_of_data']} h of data"
        return f"collector RSS at {size['devices']:,} devices ({data}), {step}"

    return get


def _report(devices: int, key: str) -> Callable[[Json], Figure]:
    def get(d: Json) -> Figure:
        [run] = [
            r
            for r in d["runs"]
            if r["devices"] == devices and r.get("backend", "sqlite") == "sqlite"
        ]
        return _n(run[key], 1, " s")

    return get


def _report_at(devices: int) -> Callable[[Json], str]:
    """When the SQLite run of ``devices`` was taken."""

    def get(d: Json) -> str:
        runs = [
            r
            for r in d["runs"]
            if r["devices"] == devices and r.get("backend", "sqlite") == "sqlite"
        ]
        return str(runs[0].get("at", ""))[:16].replace("T", " ")

    return get


def _cores_needed(d: Json) -> Figure:
    """Load-independent: the collector's CPU per message times the fleet's message rate."""
    col = d["collector"]
    cores = col["collector_cpu_seconds"] / col["messages_acked"] * col["messages_per_second"]
    return _n(cores, 2, " cores")


def _latency(q: str) -> Callable[[Json], Figure]:
    return lambda d: _n(d["collector"]["latency_seconds_after_first_minute"][q], 2, " s")


def _slept(d: Json, seconds: float) -> float:
    return float(next(s["cpu_ms_median"] for s in d["sizes"] if s["sleep_seconds"] == seconds))


def _const(v: float, text: str) -> Callable[[Json], Figure]:
    return lambda _d: (v, text)


def _throughput_cmd(d: Json) -> str:
    p = d.get("parameters", {})
    args = " --writer-process" if p.get("writer_process") else ""
    for flag, key in (("--window", "window"), ("--batch-messages", "batch_messages")):
        if p.get(key, 2000) != 2000:
            args += f" {flag} {p[key]}"
    if p.get("publisher", "paho") == "paho":  # before 2 December, paho was the only publisher
        args += " --publisher paho" if "publisher" in p else ""
    return f".venv/bin/python bench/collector_throughput.py{args}"


THROUGHPUT: str | Callable[[Json], str] = _throughput_cmd


def _agents_cmd(d: Json) -> str:
    p = d["parameters"]
    return f".venv/bin/python bench/agents_50k.py --devices {p['devices']} --minutes {p['minutes']}"


def _memory_cmd(d: Json) -> str:
    p = d["parameters"]
    sizes = " ".join(str(n) for n in p["devices"])
    quick = " --quick" if p.get("quick") else ""
    return f".venv/bin/python bench/collector_memory.py --devices {sizes}{quick}"


def _snmp_cmd(d: Json) -> str:
    return (
        f".venv/bin/python bench/snmp_poll.py --seconds {d['seconds']:g} "
        f"--concurrency {d['concurrency']} --repeats {d['repeats']}"
    )


AGENTS: str | Callable[[Json], str] = _agents_cmd


def _footprint_cmd(d: Json) -> str:
    return f".venv/bin/python bench/agent_footprint.py {d.get('minutes', 60):g}"


FOOTPRINT: str | Callable[[Json], str] = _footprint_cmd
MEMORY: str | Callable[[Json], str] = _memory_cmd
REPORT = ".venv/bin/python bench/report_scale.py --devices 10000 50000"
SNMP: str | Callable[[Json], str] = _snmp_cmd


def _footprint_rows(footprint: str, wake: str) -> tuple[Row, ...]:
    """The agent's footprint rows of one machine: its run beside node_exporter, and what that
    machine charges for waking up once a minute, each labelled with the host's kernel."""

    def on_host(figure: str) -> Callable[[Json], str]:
        return lambda d: f"{figure}, host kernel {d['machine']['kernel']}"

    def side_by_side(figure: str, key: str, fmt: Callable[[float], Figure]) -> Row:
        return Row(
            figure,
            footprint,
            lambda d: fmt(d["processes"]["veille_agent"][key]),
            "prometheus-node-exporter, same run",
            lambda d: fmt(d["processes"]["node_exporter"][key]),
            FOOTPRINT,
            label=on_host(figure),
        )

    slept = "the machine: the same 0.4 ms of Python work after 60 s asleep (what a 60 s round pays)"
    return (
        side_by_side("agent resident memory (RSS)", "rss_bytes_last", _mb),
        side_by_side("agent CPU, share of one core (aim 0.05 %)", "core_percent", _pct),
        side_by_side("agent wake-ups per hour (times the kernel ran one of its threads)",
                     "wakeups_per_hour", _n),
        Row(slept, wake, lambda d: _n(_slept(d, 60.0), 2, " ms CPU"),
            "the same work back to back", lambda d: _n(_slept(d, 0.0), 2, " ms CPU"),
            ".venv/bin/python bench/wake_penalty.py", label=on_host(slept)),
    )  # fmt: skip


ROWS: tuple[Row, ...] = (
    Row("ingestion, readings/s end to end (nothing lost; aim 100,000 on 2 cores)",
        "collector_throughput.json",
        lambda d: _n(d["collector"]["readings_per_second"]), "Mosquitto's raw rate, same run",
        lambda d: _n(d["broker"]["readings_per_second"]), THROUGHPUT),
    Row("ingestion in one process (no ledger writer process), readings/s",
        "collector_throughput.one-process.json",
        lambda d: _n(d["collector"]["readings_per_second"]), "Mosquitto's raw rate, same run",
        lambda d: _n(d["broker"]["readings_per_second"]), THROUGHPUT),
    Row("ingestion, collector CPU s per million readings", "collector_throughput.json",
        lambda d: _n(d["collector"]["cpu_seconds_to_stored"] * 1e6
                     / max(d["collector"]["published_readings"], 1), 1, " s"),
        "—", None, THROUGHPUT),
    Row("50,000 agents at 60 s: collector CPU needed (CPU s per message x messages/s)",
        "agents_50k.json", _cores_needed, "aim: one core (the ingest thread's limit)",
        _const(1.0, "1.00 core"), AGENTS),
    Row("50,000 agents at 60 s: reading to storage, p50", "agents_50k.json", _latency("p50"),
        "aim", _const(5.0, "5 s"), AGENTS),
    Row("50,000 agents at 60 s: reading to storage, p99", "agents_50k.json", _latency("p99"),
        "aim", _const(5.0, "5 s"), AGENTS),
    *_footprint_rows("agent_footprint.json", "wake_penalty.json"),
    # the same runs on the VM host of the morning, whose vCPUs were slow after a minute idle
    *_footprint_rows("agent_footprint.host-fc-v1045.json", "wake_penalty.host-fc-v1045.json"),
    Row("collector RSS at 50,000 devices, after start", "collector_memory.json",
        _largest("rss_bytes", "after_start"), "—", None, MEMORY,
        label=_memory_label("after start")),
    Row("collector RSS at 50,000 devices, after one message per device", "collector_memory.json",
        _largest("rss_bytes", "after_ingest"), "—", None, MEMORY,
        label=_memory_label("after one message per device")),
    Row("collector RSS at 50,000 devices, after the analysis job", "collector_memory.json",
        _largest("rss_bytes", "first_job"), "—", None, MEMORY,
        label=_memory_label("after the analysis job")),
    Row("collector peak RSS at 50,000 devices, during the analysis job", "collector_memory.json",
        _largest("peak_rss_bytes", "first_job"), "—", None, MEMORY,
        label=_memory_label("peak during the analysis job")),
    Row("analysis job at 50,000 devices: CPU", "collector_memory.json",
        lambda d: _n(d["sizes"][-1]["first_job"]["cpu_seconds"], 1, " s"), "—", None, MEMORY,
        label=lambda d: (f"analysis job at {d['sizes'][-1]['devices']:,} devices "
                         f"({d['sizes'][-1]['hours_of_data']} h of data): CPU")),
    Row("quarterly report, 10,000 devices: wall", "report_scale.json",
        _report(10_000, "report_s"), "aim", _const(10.0, "10 s"), REPORT,
        when=_report_at(10_000)),
    Row("quarterly report, 10,000 devices: CPU", "report_scale.json",
        _report(10_000, "report_cpu_s"), "aim", _const(10.0, "10 s"), REPORT,
        when=_report_at(10_000)),
    Row("quarterly report, 50,000 devices: wall", "report_scale.json",
        _report(50_000, "report_s"), "—", None, REPORT,
        when=_report_at(50_000)),
    Row("quarterly report, 50,000 devices: CPU", "report_scale.json",
        _report(50_000, "report_cpu_s"), "—", None, REPORT,
        when=_report_at(50_000)),
    Row("SNMP polls/s (median run)", "snmp_poll.json",
        lambda d: _n(d["veille"]["polls_per_second"], 1),
        "prometheus-snmp-exporter, same run",
        lambda d: _n(d["prometheus_snmp_exporter"]["polls_per_second"], 1), SNMP),
    Row("SNMP CPU per poll", "snmp_poll.json",
        lambda d: _n(d["veille"]["cpu_ms_per_poll"], 2, " ms"),
        "prometheus-snmp-exporter, same run",
        lambda d: _n(d["prometheus_snmp_exporter"]["cpu_ms_per_poll"], 2, " ms"), SNMP),
)  # fmt: skip


def _date(d: Json) -> str:
    found = d.get("date") or next((r.get("at") for r in d.get("runs", []) if r.get("at")), "")
    return str(found)[:16].replace("T", " ")


def render(results: Path = RESULTS) -> str:
    """The table as Markdown, one line per row."""
    lines = [
        "| figure | veille | peer | peer's figure | veille / peer | taken (UTC) | command |"
        " results |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        path = results / row.results
        cells: list[str]
        if not path.exists():
            command = row.command if isinstance(row.command, str) else "(see bench/README.md)"
            cells = [row.figure, "not run yet", row.peer_name, "", "", "", f"`{command}`"]
        else:
            data = json.loads(path.read_text())
            ours_v, ours = row.ours(data)
            peer, ratio = "", ""
            if row.peer is not None:
                peer_v, peer = row.peer(data)
                ratio = f"{ours_v / peer_v:.2f}" if peer_v else ""
            taken = row.when(data) if row.when is not None else _date(data)
            when = taken + (" — **to re-run**" if row.rerun else "")
            figure = row.label(data) if row.label is not None else row.figure
            command = row.command if isinstance(row.command, str) else row.command(data)
            cells = [figure, ours, row.peer_name, peer, ratio, when, f"`{command}`"]
        lines.append("| " + " | ".join([*cells, f"`{row.results}`"]) + " |")
    return "\n".join(lines) + "\n"


def splice(readme: str, table: str) -> str:
    """``readme`` with the text between the markers replaced by ``table``."""
    if START not in readme or END not in readme:
        raise ValueError(f"bench/README.md has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--write", action="store_true", help="update bench/README.md")
    p.add_argument("--check", action="store_true", help="fail if bench/README.md is stale")
    a = p.parse_args(argv)
    table = render()
    readme = README.read_text()
    if a.check:
        if splice(readme, table) != readme:
            print(
                "bench/README.md: the table is stale; run bench/table.py --write", file=sys.stderr
            )
            return 1
        return 0
    if a.write:
        README.write_text(splice(readme, table))
        return 0
    print(table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
