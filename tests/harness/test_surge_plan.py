"""The promotion's workload in a dry run: surge size, receipts and price changes are what the file says."""

from __future__ import annotations

from harness.rehearsal_plan import plan
from scenarios import load


def test_a_bigger_surge_places_more_orders_in_its_hours() -> None:
    tenfold = plan(load("promo-surge"), seed=7)
    twentyfold = plan(load("promo-surge", ["workload.orders.surge.multiplier=20"]), seed=7)
    surge_hours = slice(1, 4)
    assert sum(twentyfold.orders_per_hour[surge_hours]) > 1.6 * sum(tenfold.orders_per_hour[surge_hours])
    assert sum(twentyfold.orders_per_hour) - sum(twentyfold.orders_per_hour[surge_hours]) < 40


def test_receipts_and_price_changes_are_scheduled_from_the_seed() -> None:
    scenario = load("promo-surge")
    first, again = plan(scenario, seed=3), plan(scenario, seed=3)
    assert first.fingerprint == again.fingerprint
    receipts = first.events["erp: inventory.received"]
    assert receipts == first.events["wms: stock.received"] > 0
    assert first.events["salesforce: pricebook.changed"] > 0
    quiet = plan(load("baseline"), seed=3)
    assert quiet.events["erp: inventory.received"] == 0
    assert quiet.events["salesforce: pricebook.changed"] == 0
