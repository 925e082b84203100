"""Timeliness: how long an activated order waits for its ERP order, and how fast the SUT recovers.

Latencies are in simulated seconds, which the SUT experiences compressed by the run's speed: at
``--speed 600`` one wall second of SUT work is ten simulated minutes. The figures say both.
"""

from __future__ import annotations

import math
from typing import Any

from harness.checkers import CheckContext, Checker, Finding, register
from harness.checkers.cancellations import CANCELLED
from scenarios import seconds


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that actually occurred."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def acceptance(context: CheckContext) -> tuple[dict[str, float], dict[str, float]]:
    """Activation time per Salesforce order, and the first ERP creation time per order key. An order
    cancelled before it was booked is owed no ERP order, and is left out."""
    activated = {
        e.business_key: e.sim_time for e in context.history.events(system="salesforce", kind="order.activated")
    }
    created: dict[str, float] = {}
    for event in context.history.events(kind="salesOrder.created"):
        if event.business_key and event.business_key not in created:
            created[event.business_key] = event.sim_time
    orders = context.history.final_state("salesforce").get("records", {}).get("Order", {})
    unbooked = {k for k, order in orders.items() if order.get("Status") == CANCELLED and k not in created}
    return {k: v for k, v in activated.items() if k and k not in unbooked}, created


@register
class Timeliness(Checker):
    name = "timeliness"
    workflows = frozenset({"W1"})

    def _latencies(self, context: CheckContext) -> dict[str, float]:
        activated, created = acceptance(context)
        return {key: created[key] - at for key, at in activated.items() if key in created}

    def _convergence(self, context: CheckContext) -> list[dict[str, Any]]:
        """Per fault window: time from its end until every order activated by then had its ERP order."""
        activated, created = acceptance(context)
        windows = []
        for fault in context.history.faults():
            owed = [key for key, at in activated.items() if at <= fault.end]
            if any(key not in created for key in owed):
                converged = None
            else:
                converged = max([created[k] - fault.end for k in owed] + [0.0])
            windows.append({"target": fault.target, "kind": fault.kind, "end": fault.end, "converged_after": converged})
        return windows

    def measure(self, context: CheckContext) -> dict[str, Any]:
        speed = context.history.run_info().get("run", {}).get("speed") or 1
        latencies = list(self._latencies(context).values())
        figures: dict[str, Any] = {"orders_accepted": len(latencies)}
        if latencies:
            for label, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
                value = percentile(latencies, fraction)
                figures[f"order_acceptance_{label}_sim_s"] = round(value, 3)
                figures[f"order_acceptance_{label}_wall_s"] = round(value / speed, 4)
        figures["convergence_after_faults"] = self._convergence(context)
        return figures

    def check(self, context: CheckContext) -> list[Finding]:
        findings = []
        latencies = self._latencies(context)
        slo = context.expect.get("order_acceptance_p95")
        if slo is not None and latencies:
            limit = seconds(slo)
            p95 = percentile(list(latencies.values()), 0.95)
            if p95 > limit:
                slowest = sorted(latencies, key=latencies.__getitem__, reverse=True)[:3]
                findings.append(
                    Finding(
                        self.name,
                        "order acceptance p95 within the SLO",
                        f"p95 order acceptance (activation to ERP order) is {p95:.0f} simulated s;"
                        f" the SLO is {limit:.0f} s",
                        tuple(slowest),
                        {"slowest": {key: round(latencies[key], 1) for key in slowest}},
                        context.trace(slowest[0]),
                    )
                )
        limit_after = context.expect.get("convergence_after_heal")
        if limit_after is not None:
            limit = seconds(limit_after)
            for window in self._convergence(context):
                after = window["converged_after"]
                if after is not None and after > limit:
                    findings.append(
                        Finding(
                            self.name,
                            "convergence after a fault heals within the SLO",
                            f"after the {window['kind']} fault on {window['target']} ended at t={window['end']:.0f}s, "
                            f"orders took {after:.0f} simulated s to converge; the SLO is {limit:.0f} s",
                            (f"{window['target']}@{window['end']:.0f}",),
                            {"window": window},
                        )
                    )
        return findings
