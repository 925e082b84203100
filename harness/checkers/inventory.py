"""Inventory conservation and availability (W2): stock is neither made nor lost, never oversold, and
Salesforce sells what the ERP can still commit.

Per SKU and location, each system's own ledger must balance (the ERP: opening + receipts +
restocked returns - fulfilled = on hand; the WMS: opening + received - shipped - written off = on
hand), nothing may go negative, and no more may be committed (allocated) than is on hand, in the
final state and in every load sample taken during the run. With W4 in scope too, the units the
ERP fulfilled from a location are the units the WMS shipped from that warehouse. After the drain,
Salesforce's ``Available_Quantity__c`` equals the ERP's available quantity summed over locations.

Across an ERP cutover both accounts' books are read. The hand-over is booked as ``transferred`` (out
of the legacy, into the successor), and per SKU and location the transfers must cancel out and match
what the cutover moved: a move between books, not a loss in one and a gain in the other. The units
fulfilled in both accounts together are what the WMS shipped. "Available" is what a new order can
get: the successor's available quantity once the cutover has happened, since it takes every new
order; stock the legacy account still holds (a return restocked there, an order's commitment
released) serves only the orders booked there, and Salesforce must not offer it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.checkers import CheckContext, Checker, Finding, erp_records, register

_EPS = 1e-6


@register
class Inventory(Checker):
    name = "inventory"
    workflows = frozenset({"W2"})

    def check(self, context: CheckContext) -> list[Finding]:
        erp = erp_records(context, "inventory")
        wms = context.history.final_state("wms").get("ledger", [])
        findings = self._erp_ledger(erp) + self._wms_ledger(wms) + self._never_overcommitted(context)
        findings += self._moved_not_lost(context, erp)
        findings += self._salesforce_agrees(context, erp)
        if "W4" in context.workflows:
            findings += self._shipped_where_fulfilled(erp, wms)
        return findings

    def measure(self, context: CheckContext) -> dict[str, Any]:
        erp = erp_records(context, "inventory")
        return {
            "erp_units_backordered": sum(float(b["quantityBackOrdered"]) for b in erp),
            "erp_units_received": sum(float(b["received"]) for b in erp),
            "salesforce_availability_mismatches": len(self._salesforce_agrees(context, erp)),
        }

    def _erp_ledger(self, bins: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for b in bins:
            keys = (b["sku"], b["location"])
            transferred = float(b.get("transferred", 0.0))
            expected = b["opening"] + b["received"] + transferred + b["restocked"] - b["fulfilled"]
            if abs(expected - b["quantityOnHand"]) > _EPS:
                moved = f" + transferred {transferred:g}" if transferred else ""
                findings.append(
                    self._finding(
                        "ERP stock is conserved per SKU and location",
                        f"{_book(b)}{b['sku']} at {b['location']}: opening {b['opening']:g} + received"
                        f" {b['received']:g}{moved} + restocked {b['restocked']:g} - fulfilled {b['fulfilled']:g}"
                        f" = {expected:g}, but {b['quantityOnHand']:g} on hand",
                        keys,
                        {"erp": b},
                    )
                )
            if b["quantityOnHand"] < -_EPS or b["quantityCommitted"] > b["quantityOnHand"] + _EPS:
                findings.append(
                    self._finding(
                        "never more committed than on hand, never negative (ERP)",
                        f"{_book(b)}{b['sku']} at {b['location']}: {b['quantityCommitted']:g} committed,"
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

    def _moved_not_lost(self, context: CheckContext, bins: list[dict[str, Any]]) -> list[Finding]:
        """Per SKU and location, what a cutover booked out of one account it booked into the other,
        and that is what the cutover moved."""
        net: defaultdict[tuple[str, str], float] = defaultdict(float)
        into: defaultdict[tuple[str, str], float] = defaultdict(float)
        for b in bins:
            transferred = float(b.get("transferred", 0.0))
            net[(b["sku"], b["location"])] += transferred
            into[(b["sku"], b["location"])] += max(transferred, 0.0)
        moved: defaultdict[tuple[str, str], float] = defaultdict(float)
        for event in context.history.events(system="harness", kind="erp.cutover"):
            for where, quantity in ((event.payload or {}).get("stock_moved") or {}).items():
                sku, _, location = where.partition("@")
                moved[(sku, location)] += float(quantity)
        findings = []
        for keys in sorted(set(net) | set(moved)):
            if abs(net[keys]) <= _EPS and abs(into[keys] - moved[keys]) <= _EPS:
                continue
            findings.append(
                self._finding(
                    "a cutover moves stock between the ERP books, never makes or loses it",
                    f"{keys[0]} at {keys[1]}: the cutover moved {moved[keys]:g}; the books show"
                    f" {into[keys]:g} transferred in and {into[keys] - net[keys]:g} out",
                    keys,
                    {"erp": {"transferred in": into[keys], "net": net[keys]}, "harness": {"moved": moved[keys]}},
                )
            )
        return findings

    def _salesforce_agrees(self, context: CheckContext, bins: list[dict[str, Any]]) -> list[Finding]:
        selling = selling_account(context)
        available: defaultdict[str, float] = defaultdict(float)
        for b in bins:
            if b["account"] == selling:
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
                        f"{sku}: Salesforce shows {shown} available, {selling} has {available[sku]:g} available",
                        (sku, product["Id"]),
                        {"salesforce": {"Available_Quantity__c": shown}, "erp": {"quantityAvailable": available[sku]}},
                        context.trace(product["Id"]),
                    )
                )
        return findings

    def _shipped_where_fulfilled(self, bins: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[Finding]:
        """Per SKU, only where the ERP fulfilled more than the WMS shipped somewhere: units fulfilled from
        the wrong warehouse are too many at one and too few at another. Units merely missing (every
        location short) are shipments never recorded, which the consistency checker names."""
        fulfilled: defaultdict[tuple[str, str], float] = defaultdict(float)
        for b in bins:
            fulfilled[(b["sku"], b["location"])] += float(b["fulfilled"])
        shipped: defaultdict[tuple[str, str], float] = defaultdict(float)
        for r in rows:
            shipped[(r["sku"], r["location"])] += float(r["shipped"])
        places = sorted(set(fulfilled) | set(shipped))
        misplaced = {sku for sku, location in places if fulfilled[(sku, location)] > shipped[(sku, location)] + _EPS}
        findings = []
        for key in places:
            erp, wms = fulfilled[key], shipped[key]
            if key[0] in misplaced and abs(erp - wms) > _EPS:
                findings.append(
                    self._finding(
                        "the ERP fulfils from the warehouse that shipped",
                        f"{key[0]} at {key[1]}: the WMS shipped {wms:g}, the ERP fulfilled {erp:g}",
                        key,
                        {"wms": {"shipped": wms}, "erp": {"fulfilled": erp}},
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


def selling_account(context: CheckContext) -> str:
    """The ERP account that takes new orders at the end of the run: the successor once a cutover
    happened, else the one ERP."""
    cutovers = [event.payload or {} for event in context.history.events(system="harness", kind="erp.cutover")]
    return str(cutovers[-1].get("to", "erp")) if cutovers else "erp"


def _book(b: dict[str, Any]) -> str:
    """Names the account a bin is in when it is not the one ERP."""
    return f"{b['account']}: " if b.get("account", "erp") != "erp" else ""
