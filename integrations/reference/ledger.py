"""Which Salesforce orders already have their ERP sales order: the integration's own memory of W1;
and, in ``FulfilmentLedger``, its memory of W3-W5.

The ERP upsert is idempotent by itself; the ledger is what lets a redelivered or repeated event
cost one Salesforce read instead of a round of ERP calls, and it survives restarts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from integrations.reference.erp import ErpSalesOrder

_SCHEMA = """
CREATE TABLE IF NOT EXISTS captured_orders (
    salesforce_order_id TEXT PRIMARY KEY,
    erp_internal_id TEXT NOT NULL,
    erp_tran_id TEXT NOT NULL,
    erp_status TEXT NOT NULL
);
"""


class Ledger:
    def __init__(self, database: sqlite3.Connection) -> None:
        self._database = database
        database.executescript(_SCHEMA)

    def find(self, salesforce_order_id: str) -> ErpSalesOrder | None:
        row = self._database.execute(
            "SELECT erp_internal_id, erp_tran_id, erp_status FROM captured_orders WHERE salesforce_order_id = ?",
            (salesforce_order_id,),
        ).fetchone()
        if row is None:
            return None
        internal_id, tran_id, status = row
        return ErpSalesOrder(internal_id=internal_id, tran_id=tran_id, status=status)

    def record(self, salesforce_order_id: str, sales_order: ErpSalesOrder) -> None:
        self._database.execute(
            "INSERT INTO captured_orders (salesforce_order_id, erp_internal_id, erp_tran_id, erp_status)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (salesforce_order_id) DO NOTHING",
            (salesforce_order_id, sales_order.internal_id, sales_order.tran_id, sales_order.status),
        )


_FULFILMENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS released_orders (
    erp_internal_id TEXT PRIMARY KEY,
    erp_tran_id TEXT NOT NULL,
    salesforce_order_id TEXT NOT NULL,
    wms_order_id INTEGER NOT NULL,
    erp_account TEXT NOT NULL DEFAULT 'erp'
);
CREATE TABLE IF NOT EXISTS recorded_shipments (
    wms_shipment_id INTEGER PRIMARY KEY,
    erp_internal_id TEXT NOT NULL,
    salesforce_order_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    tracking_number TEXT
);
CREATE INDEX IF NOT EXISTS recorded_shipments_order ON recorded_shipments (salesforce_order_id);
CREATE INDEX IF NOT EXISTS recorded_shipments_tracking ON recorded_shipments (tracking_number);
CREATE TABLE IF NOT EXISTS tracker_statuses (
    tracking_code TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    rank INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_fulfilment_statuses (
    salesforce_order_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    rank INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Release:
    erp_internal_id: str
    erp_tran_id: str
    salesforce_order_id: str
    wms_order_id: int
    erp_account: str = "erp"
    """The ERP account holding the sales order: where its shipments are recorded."""


@dataclass(frozen=True)
class RecordedShipment:
    wms_shipment_id: int
    lines: dict[str, float]
    tracking_number: str | None


class FulfilmentLedger:
    """What W3-W5 have done: orders released to the WMS, shipments recorded in the ERP, and the
    furthest status seen per tracking code and per order (statuses only move forward)."""

    def __init__(self, database: sqlite3.Connection) -> None:
        self._database = database
        database.executescript(_FULFILMENT_SCHEMA)

    def release(self, erp_internal_id: str) -> Release | None:
        row = self._database.execute(
            "SELECT erp_internal_id, erp_tran_id, salesforce_order_id, wms_order_id, erp_account FROM released_orders"
            " WHERE erp_internal_id = ?",
            (erp_internal_id,),
        ).fetchone()
        return None if row is None else Release(*row)

    def record_release(self, release: Release) -> None:
        self._database.execute(
            "INSERT INTO released_orders (erp_internal_id, erp_tran_id, salesforce_order_id, wms_order_id, erp_account)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (erp_internal_id) DO NOTHING",
            (
                release.erp_internal_id,
                release.erp_tran_id,
                release.salesforce_order_id,
                release.wms_order_id,
                release.erp_account,
            ),
        )

    def shipment_recorded(self, wms_shipment_id: int) -> bool:
        row = self._database.execute(
            "SELECT 1 FROM recorded_shipments WHERE wms_shipment_id = ?", (wms_shipment_id,)
        ).fetchone()
        return row is not None

    def record_shipment(
        self,
        wms_shipment_id: int,
        *,
        erp_internal_id: str,
        salesforce_order_id: str,
        lines: dict[str, float],
        tracking_number: str | None,
    ) -> None:
        self._database.execute(
            "INSERT INTO recorded_shipments"
            " (wms_shipment_id, erp_internal_id, salesforce_order_id, lines, tracking_number)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (wms_shipment_id) DO NOTHING",
            (wms_shipment_id, erp_internal_id, salesforce_order_id, json.dumps(lines), tracking_number),
        )

    def shipments_of(self, salesforce_order_id: str) -> list[RecordedShipment]:
        rows = self._database.execute(
            "SELECT wms_shipment_id, lines, tracking_number FROM recorded_shipments"
            " WHERE salesforce_order_id = ? ORDER BY wms_shipment_id",
            (salesforce_order_id,),
        ).fetchall()
        return [RecordedShipment(number, json.loads(lines), tracking) for number, lines, tracking in rows]

    def orders_shipped_with(self, tracking_code: str) -> list[str]:
        rows = self._database.execute(
            "SELECT DISTINCT salesforce_order_id FROM recorded_shipments WHERE tracking_number = ?",
            (tracking_code,),
        ).fetchall()
        return [order_id for (order_id,) in rows]

    def advance_tracker(self, tracking_code: str, status: str, rank: int) -> None:
        """Keeps the furthest status a tracking code reached; a late or reordered event changes nothing."""
        self._database.execute(
            "INSERT INTO tracker_statuses (tracking_code, status, rank) VALUES (?, ?, ?)"
            " ON CONFLICT (tracking_code) DO UPDATE SET status = excluded.status, rank = excluded.rank"
            " WHERE excluded.rank > tracker_statuses.rank",
            (tracking_code, status, rank),
        )

    def tracker_status(self, tracking_code: str) -> str | None:
        row = self._database.execute(
            "SELECT status FROM tracker_statuses WHERE tracking_code = ?", (tracking_code,)
        ).fetchone()
        return None if row is None else str(row[0])

    def order_status_rank(self, salesforce_order_id: str) -> int:
        row = self._database.execute(
            "SELECT rank FROM order_fulfilment_statuses WHERE salesforce_order_id = ?", (salesforce_order_id,)
        ).fetchone()
        return -1 if row is None else int(row[0])

    def advance_order_status(self, salesforce_order_id: str, status: str, rank: int) -> None:
        self._database.execute(
            "INSERT INTO order_fulfilment_statuses (salesforce_order_id, status, rank) VALUES (?, ?, ?)"
            " ON CONFLICT (salesforce_order_id) DO UPDATE SET status = excluded.status, rank = excluded.rank"
            " WHERE excluded.rank > order_fulfilment_statuses.rank",
            (salesforce_order_id, status, rank),
        )
