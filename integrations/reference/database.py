"""The integration's durable state: one SQLite file in ``REHEARSE_SUT_STATE_DIR``."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_database(path: Path) -> sqlite3.Connection:
    """Opens (creating if needed) the state file in WAL mode, in autocommit.

    Every write is a single statement, so autocommit makes each its own transaction. WAL with
    ``synchronous=NORMAL`` makes a committed write survive the process being killed (what a
    rehearsal does to a SUT), without an fsync per webhook; only an OS crash could lose the last
    few, which a loopback rehearsal does not simulate.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection
