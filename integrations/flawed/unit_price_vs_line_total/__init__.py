"""A field mapping bug: the Salesforce line total (unit price times quantity) goes into the ERP
line's ``rate``, which NetSuite reads as the unit price.

Lines of one unit come out right, so a test order of one of everything passes; any line of two or
more is billed at its quantity squared.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.order_capture import OrderCapture
from integrations.reference.salesforce import OrderLine, SalesforceOrder


class LineTotalAsRate(OrderCapture):
    def sales_order(self, order: SalesforceOrder, lines: list[OrderLine]) -> dict[str, Any]:
        body = super().sales_order(order, lines)
        for row, line in zip(body["item"]["items"], lines, strict=True):
            row["rate"] = round(line.unit_price * line.quantity, 2)
        return body


build_app = partial(build_reference_app, order_capture=LineTotalAsRate)
