"""US zip codes sent to the warehouse as JSON numbers: ``"02134"`` leaves as ``2134``.

The bug of a mapping layer that "normalises" numeric-looking strings (a spreadsheet import, an
iPaaS field typed as Number): the leading zero of every New England and New Jersey zip code is gone.
ShipBob's API (ASP.NET, System.Text.Json) refuses a number where the contract says string; mock WMS
is lenient here and stores it, so the run goes on and only the contract checker sees it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.fulfilment import Fulfilment
from integrations.reference.wms import Wms


class NumericZipWms(Wms):
    async def create_order(self, order: dict[str, Any], *, correlation_id: str) -> dict[str, Any] | None:
        address = order["recipient"]["address"]
        zip_code = address.get("zip_code")
        if isinstance(zip_code, str) and zip_code.isdigit():
            address["zip_code"] = int(zip_code)
        return await super().create_order(order, correlation_id=correlation_id)


class NumericZipFulfilment(Fulfilment):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._wms is not None:
            self._wms.__class__ = NumericZipWms  # the same client, the flawed mapping in front of create_order


build_app = partial(build_reference_app, fulfilment=NumericZipFulfilment)
