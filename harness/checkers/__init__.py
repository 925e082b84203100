"""Checkers read the History (exchanges, events, final state) and return findings.

A checker is a small class registered under its name. It says which workflows it judges, so a
scenario that leaves a workflow out of scope is not judged on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "checker": self.checker,
            "invariant": self.invariant,
            "severity": self.severity,
            "message": self.message,
            "keys": list(self.keys),
            "holdings": self.holdings,
            "trace": list(self.trace),
        }


class CheckContext:
    """What a checker may read: the History, and the scenario's scope."""

    def __init__(self, history: History, workflows: Iterable[str]) -> None:
        self.history = history
        self.workflows = frozenset(workflows)

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
    name: ClassVar[str]
    workflows: ClassVar[frozenset[str]]
    """The workflows this checker judges; it runs when the scenario has any of them in scope."""

    def check(self, context: CheckContext) -> list[Finding]:
        raise NotImplementedError


REGISTRY: dict[str, type[Checker]] = {}


def register(cls: type[Checker]) -> type[Checker]:
    REGISTRY[cls.name] = cls
    return cls


def builtin_checkers() -> dict[str, type[Checker]]:
    from harness.checkers import consistency, exactly_once  # noqa: F401  (they register themselves)

    return REGISTRY


def activated_orders(context: CheckContext) -> dict[str, dict[str, Any]]:
    """Salesforce orders that reached Activated: the ones W1 owes an ERP order."""
    records = context.history.final_state("salesforce").get("records", {})
    return {oid: order for oid, order in records.get("Order", {}).items() if order.get("Status") == "Activated"}


def erp_orders_by_salesforce_id(context: CheckContext) -> dict[str, list[dict[str, Any]]]:
    """ERP sales orders grouped by the Salesforce order they claim (external id, else PO/ref number)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for order in context.history.final_state("erp").get("salesOrders", []):
        key = order.get("externalId") or order.get("otherRefNum")
        if key:
            grouped.setdefault(key, []).append(order)
    return grouped
