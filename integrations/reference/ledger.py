"""Which Salesforce orders already have their ERP sales order: the integration's own memory of W1.

The ERP upsert is idempotent by itself; the ledger is what lets a redelivered or repeated event
cost one Salesforce read instead of a round of ERP calls, and it survives restarts.
"""

from __future__ import annotations

import sqlite3

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
