"""The summary as terminal text: what the demo and ``veille-collector report`` print."""

from __future__ import annotations

from collections import Counter

from collector.report.summary import Summary


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _rate(rate: float | None) -> str:
    return "not available" if rate is None else f"{rate:.0%}"


def render_text(s: Summary) -> str:
    out = [
        f"Period {s.start:%Y-%m-%d %H:%M} → {s.end:%Y-%m-%d %H:%M} UTC, "
        f"{s.devices_reporting} devices reporting"
    ]
    out.append("")
    out.append("kWh per domain (domaine du SI)")
    out.append(f"  {'domain':38} {'kWh':>10} {'measured':>9} {'coverage':>9} {'devices':>8}")
    for d in s.domains:
        share = d.measured_kwh / d.kwh if d.kwh else 0.0
        out.append(
            f"  {d.domain:38} {d.kwh:10.3f} {_pct(share):>9} {_pct(d.coverage):>9} {d.devices:>8}"
        )
    out.append(f"  {'total':38} {s.total_kwh:10.3f}")
    out.append(
        f"  measured share {_pct(s.measured_share)}, estimated share {_pct(s.estimated_share)}"
    )
    out.append("")
    out.append("PUE per datacentre (E_DC / E_IT, ISO/IEC 30134-2)")
    if not s.pue:
        out.append("  no datacentre with both facility and IT meters")
    for p in s.pue:
        value = f"{p.pue:.2f}" if p.pue is not None else "n/a"
        kind = "interim " if p.interim else ""
        out.append(
            f"  {p.datacentre}: {kind}PUE {value} ({p.category}); facility "
            f"{p.facility_kwh:.3f} kWh, IT {p.it_kwh:.3f} kWh, coverage "
            f"{_pct(p.coverage)}; {p.source}"
        )
    out.append("")
    out.append("Carbon (GHG Protocol scope 2, both methods)")
    for c in s.carbon:
        out.append(
            f"  {c.method}-based, {c.name}: {c.kg_co2e:.1f} kgCO2e at {c.g_per_kwh:g} "
            f"g/kWh ({c.source}, {c.year})"
        )
    out.append("")
    states = Counter(v.state.value for v in s.violations)
    by_state = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    out.append(
        f"Sleep-policy violations: {len(s.violations)} windows, "
        f"{len({v.device_id for v in s.violations})} devices ({by_state or 'none'})"
    )
    total = s.compliance.get("total")
    if total is None:
        out.append("  compliance: no complete sleep window judged in the period")
    else:
        out.append(
            f"  compliance: {_rate(total.rate)} of {total.compliant + total.violated} "
            f"device-windows judged ({total.compliant} compliant, {total.violated} violated), "
            f"{total.unknown} unknown (silent, counted apart), {total.exempt} exempt"
        )
        out.append(
            f"  kWh wasted in violations {total.kwh_wasted:.2f}, kWh avoided by sleeping "
            f"{total.kwh_avoided:.2f} (estimated)"
        )
        for domain, rate in s.compliance.items():
            if domain != "total":
                out.append(f"    {domain}: {_rate(rate.rate)}, {rate.unknown} unknown")
    for v in s.violators:
        blockers = ", ".join(v.blockers) or "none reported"
        out.append(
            f"  {v.device_id} ({v.domain}): {v.windows} windows, "
            f"{v.awake_hours:.1f} h awake; blockers: {blockers}"
        )
        out.append(f"      e.g. {v.latest_evidence}")
    if s.unassigned:
        out.append("")
        out.append(
            f"Unassigned devices (reporting, not in the inventory): {', '.join(s.unassigned)}"
        )
    out.append("")
    out.append(f"Dead letters (rejected messages): {len(s.dead_letters)}")
    for dead in s.dead_letters[:5]:
        out.append(f"  {dead.topic}: {dead.reason}")
    return "\n".join(out)
