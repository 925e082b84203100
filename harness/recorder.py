"""Writes the run's History to SQLite off the hot path.

Callers only append a tuple to a queue; one writer thread turns the queue into batched
transactions in WAL mode with ``synchronous=NORMAL``. A killed process therefore loses at most the
batch being written and never leaves a corrupt file: SQLite's WAL guarantees the rest.

The writer wakes once per batch, not per item: every wake-up takes the GIL from the thread serving
the mocks, and waking per item cost a mock a fifth to a third of its CPU
(bench/results/recording_cost_before_fix.md, recording_cost.md).
Should callers outpace SQLite, an append waits for the writer once the backlog is long, so memory
stays bounded however long the run (bench/results/recorder_memory.md).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    direction TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT,
    status INTEGER,
    request_headers TEXT,
    request_body BLOB,
    response_headers TEXT,
    response_body BLOB,
    sim_time REAL NOT NULL,
    wall_time REAL NOT NULL,
    latency_ms REAL,
    correlation_id TEXT,
    business_keys TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    kind TEXT NOT NULL,
    business_key TEXT,
    payload TEXT,
    sim_time REAL NOT NULL,
    wall_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    params TEXT
);
CREATE TABLE IF NOT EXISTS final_state (
    system TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

DIRECTION_TO_MOCK = "sut->mock"
DIRECTION_TO_SUT = "mock->sut"

BODY_LIMIT = 64 * 1024
"""Bodies are kept up to this many bytes each: enough for any business payload, bounded memory."""

_BATCH = 2000
_LINGER = 0.05
_BACKLOG = 20_000
"""Items waiting for the writer beyond which an append waits for it: memory stays bounded when callers outpace
SQLite (a rehearsal's mocks append far below the writer's pace, so they never wait)."""


@dataclass(slots=True)
class Exchange:
    """One HTTP request and its answer (or the failure that stood in for an answer)."""

    system: str
    direction: str
    method: str
    path: str
    sim_time: float
    wall_time: float
    query: str = ""
    status: int | None = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    latency_ms: float | None = None
    correlation_id: str | None = None
    business_keys: Sequence[str] = ()
    error: str | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.system,
            self.direction,
            self.method,
            self.path,
            self.query,
            self.status,
            json.dumps(dict(self.request_headers)) if self.request_headers else None,
            self.request_body[:BODY_LIMIT],
            json.dumps(dict(self.response_headers)) if self.response_headers else None,
            self.response_body[:BODY_LIMIT],
            self.sim_time,
            self.wall_time,
            self.latency_ms,
            self.correlation_id,
            json.dumps(list(self.business_keys)) if self.business_keys else None,
            self.error,
        )


_INSERT = {
    "exchange": "INSERT INTO exchanges (system, direction, method, path, query, status, request_headers,"
    " request_body, response_headers, response_body, sim_time, wall_time, latency_ms, correlation_id,"
    " business_keys, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "event": "INSERT INTO events (system, kind, business_key, payload, sim_time, wall_time) VALUES (?,?,?,?,?,?)",
    "fault": 'INSERT INTO faults (target, kind, start, "end", params) VALUES (?,?,?,?,?)',
    "final_state": "INSERT OR REPLACE INTO final_state (system, state) VALUES (?,?)",
    "run": "INSERT OR REPLACE INTO run (key, value) VALUES (?,?)",
}


class RecorderError(RuntimeError):
    pass


class Recorder:
    """Append-only sink for exchanges, domain events, fault windows and final state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.SimpleQueue[tuple[str, tuple[Any, ...] | Exchange] | threading.Event | None] = (
            queue.SimpleQueue()
        )
        self._error: BaseException | None = None
        self._closed = False
        self._hurry = threading.Event()
        self.counts: dict[str, int] = {"exchange": 0, "event": 0}
        ready = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, args=(ready,), name="recorder", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RecorderError(f"could not open {path} within 10 s")
        if self._error is not None:
            raise RecorderError(f"could not open {path}: {self._error}")

    # -- what callers append ------------------------------------------------------------------

    def exchange(self, exchange: Exchange) -> None:
        self.counts["exchange"] += 1
        self._put("exchange", exchange)

    def event(
        self,
        system: str,
        kind: str,
        business_key: str | None,
        payload: Mapping[str, Any] | None,
        sim_time: float,
    ) -> None:
        self.counts["event"] += 1
        body = json.dumps(payload, default=str) if payload is not None else None
        self._put("event", (system, kind, business_key, body, sim_time, time.time()))

    def fault(self, target: str, kind: str, start: float, end: float, params: Mapping[str, Any]) -> None:
        self._put("fault", (target, kind, start, end, json.dumps(params, default=str)))

    def final_state(self, system: str, state: Mapping[str, Any]) -> None:
        self._put("final_state", (system, json.dumps(state, default=str)))

    def run_info(self, key: str, value: Any) -> None:
        self._put("run", (key, json.dumps(value, default=str)))

    # -- durability ---------------------------------------------------------------------------

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything appended so far is committed."""
        if self._closed:
            return
        done = threading.Event()
        self._queue.put(done)
        self._hurry.set()
        if not done.wait(timeout):
            raise RecorderError(f"history not flushed within {timeout} s")
        if self._error is not None:
            raise RecorderError(f"history writer failed: {self._error}")

    def close(self, timeout: float = 30.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._hurry.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RecorderError(f"history writer did not finish within {timeout} s")
        if self._error is not None:
            raise RecorderError(f"history writer failed: {self._error}")

    def _put(self, kind: str, row: tuple[Any, ...] | Exchange) -> None:
        if self._closed:
            raise RecorderError("the recorder is closed")
        self._queue.put((kind, row))
        if self._queue.qsize() > _BACKLOG and self._thread.is_alive():
            self.flush()

    # -- the writer thread ------------------------------------------------------------------

    def _write_loop(self, ready: threading.Event) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            self._error = exc
            ready.set()
            return
        ready.set()
        try:
            self._drain(db)
        except sqlite3.Error as exc:
            self._error = exc
        finally:
            db.close()

    def _drain(self, db: sqlite3.Connection) -> None:
        running = True
        full = False
        while running:
            item = self._queue.get()
            if not full and item is not None and not isinstance(item, threading.Event):
                # Let the batch gather while this thread sleeps: waking for every item would take the GIL
                # from the serving thread hundreds of times a second. flush() and close() cut the wait short.
                self._hurry.wait(_LINGER)
                self._hurry.clear()
            batch: dict[str, list[tuple[Any, ...]]] = {}
            waiters: list[threading.Event] = []
            size = 0
            while True:
                if item is None:
                    running = False
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    # Exchanges are serialised here, on the writer's thread, not the caller's.
                    row = item[1].row() if isinstance(item[1], Exchange) else item[1]
                    batch.setdefault(item[0], []).append(row)
                    size += 1
                if not running or size >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            full = size >= _BATCH
            if batch:
                db.execute("BEGIN")
                for kind, rows in batch.items():
                    db.executemany(_INSERT[kind], rows)
                db.execute("COMMIT")
            for waiter in waiters:
                waiter.set()
