"""Inventory conservation and availability (W2): stock is neither made nor lost, never oversold, and
Salesforce sells what the ERP can still commit.

Per SKU and location, each system's own ledger must balance (the ERP: opening + receipts +
restocked returns - fulfilled = on hand; the WMS: opening + received - shipped - written off = on
hand), nothing may go negative, and no more may be committed (allocated) than is on hand, in the
final state and in every load sample taken during the run. With W4 in scope too, the units the
ERP fulfilled from a location are the units the WMS shipped from that warehouse. After the drain,
Salesforce's ``Available_Quantity__c`` equals the ERP's available quantity summed over locations.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.checkers import CheckContext, Checker, Finding, register

_EPS = 1e-6


@register
class Inventory(Checker):
    name = "inventory"
    workflows = frozenset({"W2"})

    def check(self, context: CheckContext) -> list[Finding]:
        erp = context.history.final_state("erp").get("inventory", [])
        wms = context.history.final_state("wms").get("ledger", [])
        findings = self._erp_ledger(erp) + self._wms_ledger(wms) + self._never_overcommitted(context)
        findings += self._salesforce_agrees(context, erp)
        if "W4" in context.workflows:
            findings += self._shipped_where_fulfilled(erp, wms)
        return findings

    def measure(self, context: CheckContext) -> dict[str, Any]:
        erp = context.history.final_state("erp").get("inventory", [])
        return {
            "erp_units_backordered": sum(float(b["quantityBackOrdered"]) for b in erp),
            "erp_units_received": sum(float(b["received"]) for b in erp),
            "salesforce_availability_mismatches": len(self._salesforce_agrees(context, erp)),
        }

    def _erp_ledger(self, bins: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for b in bins:
            keys = (b["sku"], b["location"])
            expected = b["opening"] + b["received"] + b["restocked"] - b["fulfilled"]
            if abs(expected - b["quantityOnHand"]) > _EPS:
                findings.append(
                    self._finding(
                        "ERP stock is conserved per SKU and location",
                        f"{b['sku']} at {b['location']}: opening {b['opening']:g} + received {b['received']:g}"
                        f" + restocked {b['restocked']:g} - fulfilled {b['fulfilled']:g} = {expected:g},"
                        f" but {b['quantityOnHand']:g} on hand",
                        keys,
                        {"erp": b},
                    )
                )
            if b["quantityOnHand"] < -_EPS or b["quantityCommitted"] > b["quantityOnHand"] + _EPS:
                findings.append(
                    self._finding(
                        "never more committed than on hand, never negative (ERP)",
                        f"{b['sku']} at {b['location']}: {b['quantityCommitted']:g} committed,"
                        f" {b['quantityOnHand']:g} on hand",
                        keys,
                        {"erp": b},
                    )
                )
        return findings

    def _wms_ledger(self, rows: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for r in rows:
            keys = (r["sku"], r["location"])
            expected = r["opening"] + r["received"] - r["shipped"] - r["writtenOff"]
            if expected != r["onHand"]:
                findings.append(
                    self._finding(
                        "WMS stock is conserved per SKU and warehouse",
                        f"{r['sku']} at {r['location']}: opening {r['opening']} + received {r['received']}"
                        f" - shipped {r['shipped']} - written off {r['writtenOff']} = {expected},"
                        f" but {r['onHand']} on hand",
                        keys,
                        {"wms": r},
                    )
                )
            if r["onHand"] < 0 or r["allocated"] > r["onHand"]:
                findings.append(
                    self._finding(
                        "never more allocated than on hand, never negative (WMS)",
                        f"{r['sku']} at {r['location']}: {r['allocated']} allocated, {r['onHand']} on hand",
                        keys,
                        {"wms": r},
                    )
                )
        return findings

    def _never_overcommitted(self, context: CheckContext) -> list[Finding]:
        """The load samples count, during the run, the bins committed beyond what they hold."""
        for event in context.history.events(system="harness", kind="load"):
            payload = event.payload or {}
            if payload.get("erp_overcommitted_bins", 0) > 0:
                return [
                    self._finding(
                        "never more committed than on hand, never negative (ERP)",
                        f"at t={event.sim_time:.0f}s {payload['erp_overcommitted_bins']} ERP stock bin(s) had more"
                        " committed than on hand, or less than nothing",
                        (),
                        {"sample": payload},
                    )
                ]
        return []

    def _salesforce_agrees(self, context: CheckContext, bins: list[dict[str, Any]]) -> list[Finding]:
        available: defaultdict[str, float] = defaultdict(float)
        for b in bins:
            available[b["sku"]] += float(b["quantityAvailable"])
        products = context.history.final_state("salesforce").get("records", {}).get("Product2", {})
        findings = []
        for product in products.values():
            sku = product.get("SKU__c")
            if sku not in available or product.get("IsDeleted"):
                continue
            shown = product.get("Available_Quantity__c")
            if shown is None or abs(float(shown) - available[sku]) > _EPS:
                findings.append(
                    self._finding(
                        "Salesforce shows what the ERP can still commit",
                        f"{sku}: Salesforce shows {shown} available, the ERP has {available[sku]:g} available",
                        (sku, product["Id"]),
                        {"salesforce": {"Available_Quantity__c": shown}, "erp": {"quantityAvailable": available[sku]}},
                        context.trace(product["Id"]),
                    )
                )
        return findings

    def _shipped_where_fulfilled(self, bins: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[Finding]:
        fulfilled = {(b["sku"], b["location"]): float(b["fulfilled"]) for b in bins}
        findings = []
        for r in rows:
            key = (r["sku"], r["location"])
            erp = fulfilled.get(key, 0.0)
            if abs(erp - r["shipped"]) > _EPS:
                findings.append(
                    self._finding(
                        "the ERP fulfils from the warehouse that shipped",
                        f"{r['sku']} at {r['location']}: the WMS shipped {r['shipped']}, the ERP fulfilled {erp:g}",
                        key,
                        {"wms": {"shipped": r["shipped"]}, "erp": {"fulfilled": erp}},
                    )
                )
        return findings

    def _finding(
        self,
        invariant: str,
        message: str,
        keys: tuple[str, ...],
        holdings: dict[str, Any],
        trace: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(self.name, invariant, message, keys, holdings, trace, workflow="W2")
