"""The report as one self-contained HTML page: inline CSS and SVG, no script, no network."""

from __future__ import annotations

from html import escape
from pathlib import Path

from collector.report.summary import Summary

CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#666;font-size:.85rem}.bad{color:#a00}
"""


def _bar_chart(items: list[tuple[str, float]], unit: str) -> str:
    if not items:
        return "<p class='note'>no data</p>"
    top = max(v for _, v in items) or 1.0
    rows = []
    for i, (label, value) in enumerate(items):
        y = i * 26
        w = 560 * value / top
        rows.append(
            f"<text x='0' y='{y + 16}' font-size='12'>{escape(label)}</text>"
            f"<rect x='250' y='{y + 4}' width='{w:.1f}' height='16' fill='#3b7dd8'/>"
            f"<text x='{255 + w:.1f}' y='{y + 16}' font-size='12'>{value:.1f} {unit}</text>"
        )
    height = 26 * len(items)
    return (
        f"<svg role='img' width='900' height='{height}' viewBox='0 0 900 {height}' "
        f"xmlns='http://www.w3.org/2000/svg'>{''.join(rows)}</svg>"
    )


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    th = "".join(
        f"<th class='{'n' if i in numeric else ''}'>{escape(h)}</th>" for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='{'n' if i in numeric else ''}'>{escape(c)}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(s: Summary, title: str) -> str:
    parts = [
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
    ]
    parts.append(
        f"<h1>{escape(title)}</h1><p class='note'>Period {s.start:%Y-%m-%d %H:%M} → "
        f"{s.end:%Y-%m-%d %H:%M} UTC · {s.devices_reporting} devices reporting · "
        f"generated {s.generated_at:%Y-%m-%d %H:%M} UTC by veille</p>"
    )
    parts.append("<h2>Energy per domain (domaine du SI)</h2>")
    parts.append(_bar_chart([(d.domain, d.kwh) for d in s.domains], "kWh"))
    parts.append(
        _table(
            ["Domain", "kWh", "measured kWh", "estimated kWh", "coverage", "devices"],
            [
                [
                    d.domain,
                    f"{d.kwh:.2f}",
                    f"{d.measured_kwh:.2f}",
                    f"{d.estimated_kwh:.2f}",
                    f"{100 * d.coverage:.0f} %",
                    str(d.devices),
                ]
                for d in s.domains
            ],
            {1, 2, 3, 4, 5},
        )
    )
    parts.append(
        f"<p>Total {s.total_kwh:.2f} kWh: measured {100 * s.measured_share:.0f} %, "
        f"estimated {100 * s.estimated_share:.0f} %. Each kWh is counted once when "
        "meters are nested.</p>"
    )
    parts.append("<h2>PUE per datacentre</h2>")
    parts.append(
        _table(
            ["Datacentre", "PUE", "category", "facility kWh", "IT kWh", "coverage"],
            [
                [
                    p.datacentre,
                    ("interim " if p.interim else "")
                    + (f"{p.pue:.2f}" if p.pue is not None else "n/a"),
                    p.category,
                    f"{p.facility_kwh:.2f}",
                    f"{p.it_kwh:.2f}",
                    f"{100 * p.coverage:.0f} %",
                ]
                for p in s.pue
            ],
            {3, 4, 5},
        )
    )
    parts.append(
        "<p class='note'>PUE = E_DC / E_IT over the same period (ISO/IEC 30134-2, "
        "EN 50600-4-2). A period shorter than 12 months gives an interim PUE.</p>"
    )
    parts.append("<h2>Carbon (GHG Protocol scope 2)</h2>")
    parts.append(
        _table(
            ["Method", "factor", "g CO2e/kWh", "kg CO2e", "source"],
            [
                [c.method, c.name, f"{c.g_per_kwh:g}", f"{c.kg_co2e:.1f}", f"{c.source} ({c.year})"]
                for c in s.carbon
            ],
            {2, 3},
        )
    )
    parts.append(f"<h2>Sleep-policy violations ({len(s.violations)} windows)</h2>")
    parts.append(
        _table(
            ["Device", "domain", "windows", "hours awake", "blockers", "latest evidence"],
            [
                [
                    v.device_id,
                    v.domain,
                    str(v.windows),
                    f"{v.awake_hours:.1f}",
                    ", ".join(v.blockers) or "—",
                    v.latest_evidence,
                ]
                for v in s.violators
            ],
            {2, 3},
        )
    )
    if s.unassigned:
        parts.append(
            "<h2>Unassigned devices</h2><p>Reporting but not in the inventory: "
            f"{escape(', '.join(s.unassigned))}</p>"
        )
    parts.append(f"<h2>Rejected messages ({len(s.dead_letters)})</h2>")
    parts.append(
        _table(
            ["received", "topic", "reason"],
            [[f"{d.received_at:%Y-%m-%d %H:%M:%S}", d.topic, d.reason] for d in s.dead_letters],
            set(),
        )
    )
    parts.append("</body></html>")
    return "".join(parts)


def write_html(s: Summary, path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(s, title), encoding="utf-8")
    return path
