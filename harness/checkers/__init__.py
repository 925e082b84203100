"""Checkers read the History (exchanges, events, final state) and return findings.

A checker is a small class registered under its name. It says which workflows it judges, so a
scenario that leaves a workflow out of scope is not judged on it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from harness.history import History

ERROR = "error"
WARNING = "warning"

_TRACE_LIMIT = 12


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken invariant, told like a bug report: what, for which keys, who holds what, how."""

    checker: str
    invariant: str
    message: str
    keys: tuple[str, ...]
    holdings: dict[str, Any] = field(default_factory=dict)
    trace: tuple[str, ...] = ()
    severity: str = ERROR
    workflow: str | None = None
    """The workflow the finding breaks, where the checker judges several; None: the checker's only one."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "checker": self.checker,
            "invariant": self.invariant,
            "severity": self.severity,
            "message": self.message,
            "keys": list(self.keys),
            "holdings": self.holdings,
            "trace": list(self.trace),
            "workflow": self.workflow,
        }


class CheckContext:
    """What a checker may read: the History, the scenario's scope and its expectations (SLOs)."""

    def __init__(self, history: History, workflows: Iterable[str], expect: dict[str, Any] | None = None) -> None:
        self.history = history
        self.workflows = frozenset(workflows)
        self.expect = expect or {}

    def trace(self, key: str) -> tuple[str, ...]:
        """The exchanges that changed something for a business key, oldest first (reads left out)."""
        lines = [
            exchange.line()
            for exchange in self.history.exchanges(business_key=key)
            if exchange.method not in ("GET", "HEAD")
        ]
        if len(lines) > _TRACE_LIMIT:
            skipped = len(lines) - _TRACE_LIMIT
            lines = [*lines[: _TRACE_LIMIT // 2], f"... {skipped} more ...", *lines[-_TRACE_LIMIT // 2 :]]
        return tuple(lines)


class Checker:
    """Subclass, name it, say which workflows it judges, and return findings from ``check``.

    ``measure`` may add figures (latency percentiles, counts) to the verdict's metrics.
    """

    name: ClassVar[str]
    workflows: ClassVar[frozenset[str]]
    """The workflows this checker judges; it runs when the scenario has any of them in scope."""

    def check(self, context: CheckContext) -> list[Finding]:
        raise NotImplementedError

    def measure(self, context: CheckContext) -> dict[str, Any]:
        return {}


ALL_WORKFLOWS = frozenset({"W1", "W2", "W3", "W4", "W5", "W6"})
ENTRY_POINT_GROUP = "rehearse.checkers"
REGISTRY: dict[str, type[Checker]] = {}


class CheckerLoadError(ValueError):
    pass


def register(cls: type[Checker]) -> type[Checker]:
    REGISTRY[cls.name] = cls
    return cls


def builtin_checkers() -> dict[str, type[Checker]]:
    from harness.checkers import (  # noqa: F401
        consistency,
        contract,
        exactly_once,
        history,
        inventory,
        resilience,
        timeliness,
    )

    return REGISTRY


def installed_checkers() -> dict[str, type[Checker]]:
    """The built-in checkers plus those other packages declare under the ``rehearse.checkers`` entry point."""
    found = dict(builtin_checkers())
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = _as_checker(entry.load(), f"entry point {entry.name}")
    return found


def load_checker(spec: str, base: Path) -> type[Checker]:
    """``path/to/file.py:ClassName`` (relative to ``base``) or ``package.module:ClassName``."""
    where, sep, attribute = spec.rpartition(":")
    if not sep or not where or not attribute:
        raise CheckerLoadError(f"checker {spec!r}: expected FILE.py:ClassName or module:ClassName")
    if where.endswith(".py"):
        path = (base / where).resolve()
        if not path.is_file():
            raise CheckerLoadError(f"checker {spec!r}: no file at {path}")
        module_spec = importlib.util.spec_from_file_location(f"rehearse_checker_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise CheckerLoadError(f"checker {spec!r}: cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise CheckerLoadError(f"checker {spec!r}: {path} failed to import: {exc}") from exc
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise CheckerLoadError(f"checker {spec!r}: {exc}") from exc
    if not hasattr(module, attribute):
        raise CheckerLoadError(f"checker {spec!r}: {where} has no {attribute}")
    return _as_checker(getattr(module, attribute), f"checker {spec!r}")


def _as_checker(candidate: Any, what: str) -> type[Checker]:
    if not (isinstance(candidate, type) and issubclass(candidate, Checker)):
        raise CheckerLoadError(f"{what}: not a harness.checkers.Checker subclass")
    if not getattr(candidate, "name", None) or not getattr(candidate, "workflows", None):
        raise CheckerLoadError(f"{what}: a checker needs a name and the workflows it judges")
    return candidate


def activated_orders(context: CheckContext) -> dict[str, dict[str, Any]]:
    """Salesforce orders that reached Activated: the ones W1 owes an ERP order."""
    records = context.history.final_state("salesforce").get("records", {})
    return {oid: order for oid, order in records.get("Order", {}).items() if order.get("Status") == "Activated"}


SOLD_STATUSES = frozenset({"Activated", "Cancellation Requested", "Cancelled"})
"""Order statuses past activation: a customer's request to cancel, and its outcome, come after it."""


def sold_orders(context: CheckContext) -> dict[str, dict[str, Any]]:
    """Salesforce orders activated at some point, cancelled since or not: none may have two ERP orders."""
    records = context.history.final_state("salesforce").get("records", {})
    return {oid: order for oid, order in records.get("Order", {}).items() if order.get("Status") in SOLD_STATUSES}


ERP_ACCOUNTS = ("erp", "erp-next")
"""The ERP instances a run may serve: the one ERP, and across a cutover its successor too."""


def erp_records(context: CheckContext, collection: str) -> list[dict[str, Any]]:
    """A collection of the ERP's final state (``salesOrders``, ``itemFulfillments``, ``invoices``)
    from every ERP account of the run, each record naming its ``account``: across a cutover an
    order is judged against whichever account holds it, and two accounts holding it is a double."""
    return [
        {**record, "account": account}
        for account in ERP_ACCOUNTS
        for record in context.history.final_state(account).get(collection, [])
    ]


def erp_orders_by_salesforce_id(context: CheckContext) -> dict[str, list[dict[str, Any]]]:
    """ERP sales orders grouped by the Salesforce order they claim (external id, else PO/ref number)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for order in erp_records(context, "salesOrders"):
        key = order.get("externalId") or order.get("otherRefNum")
        if key:
            grouped.setdefault(key, []).append(order)
    return grouped


def released_erp_orders(context: CheckContext) -> list[dict[str, Any]]:
    """ERP sales orders W3 owes a WMS order: booked, not awaiting approval nor cancelled."""
    return [
        order
        for order in erp_records(context, "salesOrders")
        if order.get("status") not in ("Pending Approval", "Cancelled")
    ]


def wms_orders_by_reference(context: CheckContext) -> dict[str, list[dict[str, Any]]]:
    """WMS orders grouped by ``reference_id``, which W3 sets to the ERP sales order's internal id."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for order in context.history.final_state("wms").get("orders", []):
        grouped.setdefault(str(order["reference_id"]), []).append(order)
    return grouped


def shipped_units(wms_order: dict[str, Any]) -> Counter[str]:
    """Units per SKU that left the warehouse (shipments the WMS reports Completed)."""
    units: Counter[str] = Counter()
    for shipment in wms_order.get("shipments", []):
        if shipment.get("status") == "Completed":
            units.update(shipment.get("lines", {}))
    return units
