"""The /proc readers give what psutil gives on this machine, from the same files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from agent.sources import procstat

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")


def test_cpu_times_are_psutils() -> None:
    t = psutil.cpu_times()
    busy, total = procstat.cpu_busy_total()
    ps_total = sum(t)
    ps_busy = ps_total - t.idle - t.iowait
    # read a moment apart: within a few clock ticks per CPU
    slack = 0.1 * (psutil.cpu_count() or 1)
    assert abs(total - ps_total) <= slack and abs(busy - ps_busy) <= slack
    assert 0 < busy < total


def test_boot_time_memory_and_cpus_are_psutils() -> None:
    assert procstat.boot_time() == psutil.boot_time()
    assert procstat.memory_bytes() == psutil.virtual_memory().total
    assert procstat.logical_cpus() == psutil.cpu_count()


def test_a_stat_file_without_the_lines_falls_back_to_psutil(tmp_path: Path) -> None:
    odd = tmp_path / "stat"
    odd.write_text("intr 1 2 3\n")
    assert procstat.boot_time(odd) == psutil.boot_time()
    busy, total = procstat.cpu_busy_total(odd)
    assert 0 < busy < total
    assert procstat.boot_time(tmp_path / "missing") == psutil.boot_time()


def test_a_recorded_stat_file_is_read_as_psutil_reads_it(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text(  # a 2-CPU Debian 12 VM's first lines
        "cpu  2559536 141959 462503 1151645 8516 0 12898 1417 0 0\n"
        "cpu0 1279768 70979 231251 575822 4258 0 6449 708 0 0\n"
        "btime 1796159772\n"
    )
    busy, total = procstat.cpu_busy_total(stat)
    tick = os.sysconf("SC_CLK_TCK")  # 100 on Linux
    assert total == pytest.approx(
        (2559536 + 141959 + 462503 + 1151645 + 8516 + 12898 + 1417) / tick
    )
    assert busy == pytest.approx(total - (1151645 + 8516) / tick)
    assert procstat.boot_time(stat) == 1796159772.0


def test_boot_time_is_read_once_until_the_clock_is_stepped() -> None:
    offset = [1_700_000_000.4]
    reads: list[float] = []

    def read() -> float:
        reads.append(offset[0])
        return float(int(offset[0]))  # what the kernel prints: the difference, truncated

    btime = procstat.BootTime(read, offset=lambda: offset[0])
    assert [btime() for _ in range(5)] == [1_700_000_000.0] * 5 and len(reads) == 1
    offset[0] += 0.0004  # read-to-read jitter of the two clocks: no new read
    assert btime() == 1_700_000_000.0 and len(reads) == 1
    offset[0] += 2.0  # the wall clock was set 2 s forward: btime moved, read again
    assert btime() == 1_700_000_002.0 and len(reads) == 2
    offset[0] = 1_700_000_005.9996  # within a millisecond of a whole second: always read
    btime(), btime()
    assert len(reads) == 4


def test_boot_time_cached_is_the_kernels() -> None:
    import time

    offset = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    if abs(offset - round(offset)) < 0.01:  # read again on every call there, by design
        pytest.skip("boot time within 10 ms of a whole second")
    btime = procstat.BootTime()
    assert btime() == procstat.boot_time() == psutil.boot_time()
    assert btime() == procstat.boot_time() and btime.reads == 1
