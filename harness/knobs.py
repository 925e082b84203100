"""The scenario's ``behaviour`` section turned into each mock's knobs, checked before anything starts.

Knob names are the mocks' own (fields of ``WmsKnobs``, ``CarrierKnobs``, the ERP's options), so
a new knob on a mock is a new key in scenario files with no change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mocks.carrier.behaviour import CarrierKnobs, TransitTime
from mocks.wms.behaviour import Shift, WmsKnobs

ERP_OPTIONS = {"concurrency_limit": int, "workers": int, "service_time": float, "tax_rate": float}
_NOT_FROM_FILES = {"topics", "webhook_secret"}
"""Knobs the harness sets itself (from the workflows in scope, from the SUT's registration)."""


class KnobError(ValueError):
    pass


def _coerce(system: str, name: str, value: Any) -> Any:
    if name == "shifts":
        return tuple(Shift(*shift) for shift in value)
    if name == "transit_days":
        return {service: TransitTime(*days) for service, days in value.items()}
    if isinstance(value, list):
        return tuple(value)
    return value


def _replaced(system: str, knobs: Any, raw: dict[str, Any]) -> Any:
    fields = {f.name for f in dataclasses.fields(knobs)} - _NOT_FROM_FILES
    changes = {}
    for name, value in raw.items():
        if name not in fields:
            raise KnobError(f"behaviour.{system}.{name}: not a {system} knob (known: {', '.join(sorted(fields))})")
        try:
            changes[name] = _coerce(system, name, value)
        except (TypeError, AttributeError) as exc:
            raise KnobError(f"behaviour.{system}.{name}: {value!r} does not fit ({exc})") from exc
    return dataclasses.replace(knobs, **changes)


def wms_knobs(behaviour: dict[str, Any]) -> WmsKnobs:
    knobs: WmsKnobs = _replaced("wms", WmsKnobs(), behaviour.get("wms", {}))
    return knobs


def carrier_knobs(behaviour: dict[str, Any]) -> CarrierKnobs:
    knobs: CarrierKnobs = _replaced("carrier", CarrierKnobs(), behaviour.get("carrier", {}))
    return knobs


def erp_options(behaviour: dict[str, Any]) -> dict[str, Any]:
    options = {}
    for name, value in behaviour.get("erp", {}).items():
        kind = ERP_OPTIONS.get(name)
        if kind is None:
            raise KnobError(f"behaviour.erp.{name}: not an ERP knob (known: {', '.join(sorted(ERP_OPTIONS))})")
        options[name] = kind(value)
    return options


def check(behaviour: dict[str, Any]) -> None:
    """Raise KnobError for the first knob that is unknown or does not fit."""
    wms_knobs(behaviour)
    carrier_knobs(behaviour)
    erp_options(behaviour)
