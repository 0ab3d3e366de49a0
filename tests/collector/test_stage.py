"""The pipeline's stages (:mod:`collector.ingest.stage`): order, back-pressure, stop."""

from __future__ import annotations

import threading
import time

from collector.ingest.stage import Stage


def test_items_are_worked_in_order_and_finish_waits_for_the_queued() -> None:
    done: list[int] = []

    def work(i: int) -> bool:
        done.append(i)
        return True

    stage: Stage[int] = Stage("t-order", work, maxsize=2)
    stage.start()
    for i in range(50):
        assert stage.put(i)
    stage.finish()
    stage.join(5)
    assert done == list(range(50)) and not stage.is_alive()


def test_a_full_stage_makes_the_step_before_it_wait() -> None:
    release = threading.Event()
    stage: Stage[int] = Stage("t-full", lambda _i: release.wait(10), maxsize=1)
    stage.start()
    assert stage.put(1)  # being worked
    assert stage.put(2)  # queued
    putter = threading.Thread(target=stage.put, args=(3,))
    putter.start()
    time.sleep(0.3)
    assert putter.is_alive()  # waits: the queue is full
    release.set()
    putter.join(5)
    assert not putter.is_alive()
    stage.finish()
    stage.join(5)


def test_a_stopped_stage_takes_nothing_and_says_so() -> None:
    seen: list[int] = []

    def work(i: int) -> bool:
        seen.append(i)
        return i != 1  # stop after the second item

    stage: Stage[int] = Stage("t-stop", work)
    assert not stage.put(0)  # not started: refused, not lost in a queue nobody reads
    stage.start()
    assert stage.put(0) and stage.put(1)
    stage.join(5)
    assert not stage.is_alive()
    assert not stage.put(2)
    assert seen == [0, 1]
