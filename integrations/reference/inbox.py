"""The durable inbox: webhook deliveries accepted but not yet applied, and what became of them.

A webhook is answered 2xx as soon as its delivery is in here, so the sender stops retrying while
the work is still ahead; the worker then applies it, possibly after restarts. Each delivery is
``pending`` (waiting for ``next_attempt_at``), ``done``, or ``failed`` (permanently, with the
reason). Rows are kept after they are done: that is what lets a redelivery be recognised.

A delivery names its ``source`` (the system that sent it: ``salesforce``, ``erp``, ``wms``,
``carrier``) and, where the vendor sends it outside the body, its ``topic`` (ShipBob's
``shipbob-topic`` header), so the worker can route it without guessing from the body.
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
    received_at REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'salesforce',
    topic TEXT
);
CREATE INDEX IF NOT EXISTS inbox_due ON inbox (state, next_attempt_at);
"""
_ADDED_COLUMNS = {"source": "TEXT NOT NULL DEFAULT 'salesforce'", "topic": "TEXT"}
"""Columns a state file written before the fulfilment workflows lacks: its rows all came from Salesforce."""


@dataclass(frozen=True)
class Delivery:
    number: int
    body: str
    attempts: int
    """Attempts that failed so far."""
    source: str = "salesforce"
    topic: str | None = None


class Inbox:
    def __init__(self, database: sqlite3.Connection) -> None:
        self._database = database
        database.executescript(_SCHEMA)
        present = {row[1] for row in database.execute("PRAGMA table_info(inbox)")}
        for column, declaration in _ADDED_COLUMNS.items():
            if column not in present:
                database.execute(f"ALTER TABLE inbox ADD COLUMN {column} {declaration}")

    def accept(
        self,
        body: str,
        *,
        event_key: str | None,
        now: float,
        source: str = "salesforce",
        topic: str | None = None,
    ) -> bool:
        """Stores a delivery; ``False`` when an event with this key was accepted before.

        The key is the event's identity (for Salesforce, its replay id). ``None`` means the
        delivery has no identity to recognise it by, so it is always stored: SQLite's UNIQUE
        lets any number of NULLs through.
        """
        cursor = self._database.execute(
            "INSERT INTO inbox (event_key, body, next_attempt_at, received_at, source, topic)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
            (event_key, body, now, now, source, topic),
        )
        return cursor.rowcount == 1

    def due(self, now: float, *, limit: int, busy: Collection[int]) -> list[Delivery]:
        """Pending deliveries whose time has come, oldest first, leaving out those in progress."""
        placeholders = ",".join("?" * len(busy))
        rows = self._database.execute(
            "SELECT delivery, body, attempts, source, topic FROM inbox"
            f" WHERE state = 'pending' AND next_attempt_at <= ? AND delivery NOT IN ({placeholders})"
            " ORDER BY next_attempt_at, delivery LIMIT ?",
            (now, *busy, limit),
        ).fetchall()
        return [
            Delivery(number=number, body=body, attempts=attempts, source=source, topic=topic)
            for number, body, attempts, source, topic in rows
        ]

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
