"""Read side of a run's ``history.sqlite``: what checkers and reports query."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedExchange:
    id: int
    system: str
    direction: str
    method: str
    path: str
    status: int | None
    sim_time: float
    wall_time: float
    latency_ms: float | None
    correlation_id: str | None
    business_keys: tuple[str, ...]
    error: str | None
    request_body: bytes
    response_body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    """The headers the recorder kept (content type, Location, limits, correlation and idempotency)."""

    def request_json(self) -> Any:
        return _json_or_none(self.request_body)

    def response_json(self) -> Any:
        return _json_or_none(self.response_body)

    def response_header(self, name: str) -> str | None:
        return next((value for key, value in self.response_headers.items() if key.lower() == name.lower()), None)

    def line(self) -> str:
        """One line a person can read in a trace."""
        outcome = str(self.status) if self.status is not None else (self.error or "no answer")
        corr = f" corr={self.correlation_id}" if self.correlation_id else ""
        return (
            f"#{self.id} t={self.sim_time:.1f}s {self.direction} {self.system} "
            f"{self.method} {self.path} -> {outcome}{corr}"
        )


@dataclass(frozen=True, slots=True)
class ExchangeOutline:
    direction: str
    system: str
    status: int | None
    sim_time: float
    latency_ms: float | None
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class DomainEvent:
    id: int
    system: str
    kind: str
    business_key: str | None
    payload: Any
    sim_time: float


@dataclass(frozen=True, slots=True)
class FaultWindow:
    target: str
    kind: str
    start: float
    end: float
    params: Any


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


_EXCHANGE_COLUMNS = (
    "id, system, direction, method, path, status, sim_time, wall_time, latency_ms, correlation_id,"
    " business_keys, error, request_body, response_body, request_headers, response_headers"
)


class History:
    """Queries over one run's recorded exchanges, domain events, faults and final state."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(f"no history at {path}")
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exchanges(
        self,
        *,
        system: str | None = None,
        direction: str | None = None,
        method: str | None = None,
        path_prefix: str | None = None,
        business_key: str | None = None,
    ) -> Iterator[RecordedExchange]:
        where: list[str] = []
        args: list[str | int] = []
        for column, value in (("system", system), ("direction", direction), ("method", method)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if path_prefix is not None:
            where.append("substr(path, 1, ?) = ?")
            args += [len(path_prefix), path_prefix]
        if business_key is not None:
            where.append("(business_keys LIKE ? OR correlation_id = ?)")
            args += [f'%"{business_key}"%', business_key]
        sql = f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges"
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self._db.execute(sql + " ORDER BY id", args):
            yield RecordedExchange(
                id=row[0],
                system=row[1],
                direction=row[2],
                method=row[3],
                path=row[4],
                status=row[5],
                sim_time=row[6],
                wall_time=row[7],
                latency_ms=row[8],
                correlation_id=row[9],
                business_keys=tuple(json.loads(row[10])) if row[10] else (),
                error=row[11],
                request_body=row[12] or b"",
                response_body=row[13] or b"",
                request_headers=json.loads(row[14]) if row[14] else {},
                response_headers=json.loads(row[15]) if row[15] else {},
            )

    def exchange_outlines(self) -> Iterator[ExchangeOutline]:
        """Every exchange without its bodies, oldest first: what timelines need, at a fraction of the memory."""
        sql = "SELECT direction, system, status, sim_time, latency_ms, correlation_id FROM exchanges ORDER BY id"
        for row in self._db.execute(sql):
            yield ExchangeOutline(*row)

    def last_sim_time(self) -> float:
        row = self._db.execute("SELECT max(sim_time) FROM exchanges").fetchone()
        return float(row[0] or 0.0)

    def count_exchanges(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM exchanges").fetchone()[0])

    def events(self, *, system: str | None = None, kind: str | None = None) -> Iterator[DomainEvent]:
        where, args = [], []
        if system is not None:
            where.append("system = ?")
            args.append(system)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = "SELECT id, system, kind, business_key, payload, sim_time FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self._db.execute(sql + " ORDER BY id", args):
            yield DomainEvent(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None, row[5])

    def faults(self) -> list[FaultWindow]:
        rows = self._db.execute('SELECT target, kind, start, "end", params FROM faults ORDER BY start, id')
        return [FaultWindow(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] else {}) for r in rows]

    def final_state(self, system: str) -> dict[str, Any]:
        row = self._db.execute("SELECT state FROM final_state WHERE system = ?", (system,)).fetchone()
        return json.loads(row[0]) if row else {}

    def run_info(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self._db.execute("SELECT key, value FROM run")}
