"""The Recorder: batched, off the hot path, and never a corrupt file."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import recorder as recorder_module
from harness.history import History
from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder, RecorderError


def exchange(n: int, key: str = "801000000000001AAA") -> Exchange:
    return Exchange(
        system="salesforce",
        direction=DIRECTION_TO_MOCK,
        method="PATCH",
        path=f"/services/data/v62.0/sobjects/Order/{n}",
        sim_time=float(n),
        wall_time=time.time(),
        status=204,
        request_body=b'{"ERP_Order_Number__c": "SO1"}',
        correlation_id=key,
        business_keys=(key,),
    )


def test_everything_appended_is_readable_after_close(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "h.sqlite")
    for n in range(5000):
        recorder.exchange(exchange(n))
    recorder.event("salesforce", "order.activated", "801X", {"total": 10.5}, 12.0)
    recorder.fault("salesforce.webhooks", "duplicate", 0, 60, {"probability": 0.2})
    recorder.final_state("erp", {"salesOrders": []})
    recorder.close()
    with History(tmp_path / "h.sqlite") as history:
        assert history.count_exchanges() == 5000
        assert [e.kind for e in history.events()] == ["order.activated"]
        assert history.faults()[0].params == {"probability": 0.2}
        assert history.final_state("erp") == {"salesOrders": []}
        first = next(history.exchanges(business_key="801000000000001AAA"))
        assert first.request_json() == {"ERP_Order_Number__c": "SO1"}


def test_history_filters_by_business_key_and_direction(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "h.sqlite")
    recorder.exchange(exchange(1, key="A"))
    recorder.exchange(exchange(2, key="B"))
    recorder.close()
    with History(tmp_path / "h.sqlite") as history:
        assert [e.sim_time for e in history.exchanges(business_key="B")] == [2.0]
        assert list(history.exchanges(direction="mock->sut")) == []


def test_appending_after_close_is_refused(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "h.sqlite")
    recorder.close()
    with pytest.raises(RecorderError, match="closed"):
        recorder.exchange(exchange(1))


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "h.sqlite").mkdir()
    with pytest.raises(RecorderError, match=r"h\.sqlite"):
        Recorder(tmp_path / "h.sqlite")


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from harness.recorder import Recorder
    from tests.harness.test_recorder import exchange

    recorder = Recorder(Path({path!r}))
    flushed = 0
    for batch in range(20):
        for n in range(500):
            recorder.exchange(exchange(batch * 500 + n))
        recorder.flush()
        flushed += 500
        print("flushed", flushed, flush=True)
    while True:  # keep appending, unflushed, until killed
        recorder.exchange(exchange(0))
        time.sleep(0.0005)
        if flushed:
            print("ready", flush=True)
            flushed = 0
    """
)


def test_a_killed_recorder_leaves_a_sound_file_with_everything_flushed(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    root = str(Path(__file__).resolve().parents[2])
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(root=root, path=str(path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    last_flushed = 0
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        for line in child.stdout:
            if line.startswith("flushed"):
                last_flushed = int(line.split()[1])
            if line.startswith("ready") or time.monotonic() > deadline:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(10)
    assert last_flushed == 10_000
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM exchanges").fetchone()[0] >= last_flushed
    db.close()


def test_flush_and_close_do_not_wait_for_the_batch_to_gather(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The writer lets a batch gather before writing it; a flush or close must cut that short, or it would
    # wait out the whole gathering time (an hour here) and miss its deadline.
    monkeypatch.setattr(recorder_module, "_LINGER", 3600.0)
    recorder = Recorder(tmp_path / "h.sqlite")
    recorder.exchange(exchange(1))
    recorder.flush(timeout=10)
    with History(tmp_path / "h.sqlite") as history:
        assert history.count_exchanges() == 1
    recorder.exchange(exchange(2))
    recorder.close(timeout=10)
    with History(tmp_path / "h.sqlite") as history:
        assert history.count_exchanges() == 2


def test_appending_faster_than_the_writer_waits_for_it_rather_than_queueing_without_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Appending takes microseconds and the writer sleeps while a batch gathers, so without a bound the
    # queue would hold all 3,000 at once.
    monkeypatch.setattr(recorder_module, "_BACKLOG", 100)
    recorder = Recorder(tmp_path / "h.sqlite")
    longest = 0
    for n in range(3000):
        recorder.exchange(exchange(n))
        longest = max(longest, recorder._queue.qsize())
    recorder.close()
    assert longest <= 101
    with History(tmp_path / "h.sqlite") as history:
        assert history.count_exchanges() == 3000
