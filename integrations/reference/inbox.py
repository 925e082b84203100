"""The durable inbox: webhook deliveries accepted but not yet applied, and what became of them.

A webhook is answered 2xx as soon as its delivery is in here, so the sender stops retrying while
the work is still ahead; the worker then applies it, possibly after restarts. Each delivery is
``pending`` (waiting for ``next_attempt_at``), ``done``, or ``failed`` (permanently, with the
reason). Rows are kept after they are done: that is what lets a redelivery be recognised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    delivery INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT UNIQUE,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_due ON inbox (state, next_attempt_at);
"""


@dataclass(frozen=True)
class Delivery:
    number: int
    body: str
    attempts: int
    """Attempts that failed so far."""


class Inbox:
    def __init__(self, database: sqlite3.Connection) -> None:
        self._database = database
        database.executescript(_SCHEMA)

    def accept(self, body: str, *, event_key: str | None, now: float) -> bool:
        """Stores a delivery; ``False`` when an event with this key was accepted before.

        The key is the event's identity (for Salesforce, its replay id). ``None`` means the
        delivery has no identity to recognise it by, so it is always stored: SQLite's UNIQUE
        lets any number of NULLs through.
        """
        cursor = self._database.execute(
            "INSERT INTO inbox (event_key, body, next_attempt_at, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (event_key) DO NOTHING",
            (event_key, body, now, now),
        )
        return cursor.rowcount == 1

    def due(self, now: float, *, limit: int, busy: Collection[int]) -> list[Delivery]:
        """Pending deliveries whose time has come, oldest first, leaving out those in progress."""
        placeholders = ",".join("?" * len(busy))
        rows = self._database.execute(
            "SELECT delivery, body, attempts FROM inbox"
            f" WHERE state = 'pending' AND next_attempt_at <= ? AND delivery NOT IN ({placeholders})"
            " ORDER BY next_attempt_at, delivery LIMIT ?",
            (now, *busy, limit),
        ).fetchall()
        return [Delivery(number=number, body=body, attempts=attempts) for number, body, attempts in rows]

    def complete(self, delivery: int) -> None:
        self._database.execute("UPDATE inbox SET state = 'done', last_error = NULL WHERE delivery = ?", (delivery,))

    def retry_later(self, delivery: int, *, at: float, reason: str) -> None:
        self._database.execute(
            "UPDATE inbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE delivery = ?",
            (at, reason, delivery),
        )

    def give_up(self, delivery: int, *, reason: str) -> None:
        self._database.execute(
            "UPDATE inbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE delivery = ?",
            (reason, delivery),
        )
