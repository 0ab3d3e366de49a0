"""The disk spool keeps batches in order across restarts and counts what it must drop."""

from __future__ import annotations

from pathlib import Path

from collector.sinks.spool import Spool


def body(n: int, size: int = 100) -> bytes:
    return f"{n:08d}".encode().ljust(size - 1, b"x") + b"\n"


def test_fifo_survives_a_restart(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    for n in range(5):
        assert spool.push(body(n), lines=n + 1) == (True, 0)
    assert spool.depth.batches == 5 and spool.depth.lines == 15 and spool.depth.size_bytes == 500
    (tmp_path / "0000000000000099-3.tmp").write_bytes(b"half a batch")  # a crash mid-write

    reopened = Spool(tmp_path, max_bytes=10_000)
    assert not list(tmp_path.glob("*.tmp"))
    assert reopened.depth == spool.depth
    seen = []
    while (item := reopened.peek()) is not None:
        seen.append((reopened.read(item), item.lines))
        reopened.pop()
    assert seen == [(body(n), n + 1) for n in range(5)]
    assert reopened.depth.batches == 0 and not list(tmp_path.iterdir())
    # numbering continues after a restart, so order holds even when new batches follow old ones
    reopened.push(body(7), 1)
    assert Spool(tmp_path, 10_000).peek() is not None


def test_bounded_in_bytes_dropping_oldest(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=350)
    dropped = [spool.push(body(n), lines=10)[1] for n in range(5)]
    assert dropped == [0, 0, 0, 10, 10]
    assert spool.depth.size_bytes == 300 and spool.depth.batches == 3
    item = spool.peek()
    assert item is not None and spool.read(item) == body(2)
    assert spool.push(body(9, size=400), lines=7) == (False, 7)
    assert spool.depth.batches == 3
