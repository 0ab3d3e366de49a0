"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) takes a
screenshot, and the three charts are there in their colours (pixels counted with Pillow)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from PIL import Image

from collector.cli import main
from collector.report.charts import ACTUAL_COLOUR, PALETTE, PATH_COLOUR

CHROMIUM = shutil.which("chromium")


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _count(img: Image.Image, colour: str, tolerance: int = 8) -> int:
    r0, g0, b0 = _rgb(colour)
    total = 0
    for n, pixel in img.getcolors(maxcolors=1 << 24) or []:
        assert isinstance(pixel, tuple)
        r, g, b = pixel[:3]
        if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance:
            total += n
    return total


def test_the_charts_render_in_headless_chromium(report_setup: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium is missing: run scripts/install-test-deps.sh"
    config = report_setup
    out = tmp_path / "out"
    assert main(["report", "-c", str(config), "--quarter", "2026-T3", "--format", "html",
                 "--out", str(out)]) == 0  # fmt: skip
    page = out / "2026-T3_fr.html"
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        page.as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1280, 2400)
    # kWh per week: the server domain's bars (first colour) are the biggest area on the page
    assert _count(img, PALETTE[0]) > 40_000
    assert _count(img, PALETTE[1]) > 2_000 and _count(img, PALETTE[2]) > 2_000
    # PUE per month: the datacentre's line and dots
    assert _count(img, PALETTE[3]) > 1_000
    # progress: the path and the period's square
    assert _count(img, PATH_COLOUR) > 1_000 and _count(img, ACTUAL_COLOUR) > 150
    # and an empty page has none of them: the counts come from the charts
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><title>x</title><p>rien</p>", encoding="utf-8")
    cmd[-1], cmd[-3] = blank.as_uri(), f"--screenshot={tmp_path / 'blank.png'}"
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    empty = Image.open(tmp_path / "blank.png").convert("RGB")
    assert _count(empty, PALETTE[0]) == 0 and _count(empty, PATH_COLOUR) == 0


def test_the_nights_chart_renders_each_outcome(tmp_path: Path) -> None:
    """A month of judged windows: each night's stacked shares, in the three outcome colours,
    with areas in the proportions of the windows."""
    from datetime import UTC, datetime, timedelta

    from collector.analysis.compliance import WindowOutcome, WindowStatus
    from collector.ledger import Ledger
    from collector.report.charts import NIGHT_COLOURS
    from tests.collector.report_ledger import write_setup

    assert CHROMIUM is not None, "chromium is missing: run scripts/install-test-deps.sh"
    config = write_setup(tmp_path)
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    first = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)

    # pc-1 complies every night, pc-2 violates on odd nights and is silent on even ones
    def status(dev: str, i: int) -> WindowStatus:
        if dev == "pc-1":
            return WindowStatus.COMPLIANT
        return WindowStatus.VIOLATED if i % 2 else WindowStatus.UNKNOWN

    for dev in ("pc-1", "pc-2"):
        starts = [first + timedelta(days=i) for i in range(30)]
        ledger.replace_outcomes(
            dev,
            [
                WindowOutcome(dev, s, s + timedelta(hours=13), "workstations", status(dev, i))
                for i, s in enumerate(starts)
            ],
        )
    ledger.close()
    out = tmp_path / "out"
    assert main(["report", "-c", str(config), "--quarter", "2026-T3", "--format", "html",
                 "--out", str(out)]) == 0  # fmt: skip
    shot = tmp_path / "nights.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,4200", (out / "2026-T3_fr.html").as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    img = Image.open(shot).convert("RGB")
    compliant, violated, unknown = (_count(img, c, tolerance=4) for c in NIGHT_COLOURS)
    assert compliant > 20_000 and violated > 5_000 and unknown > 5_000
    # each night is half pc-1's compliant window, half pc-2's (violated 15 nights, unknown 15)
    assert 0.8 < compliant / (violated + unknown) < 1.25
    assert 0.7 < violated / unknown < 1.4
