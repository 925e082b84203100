"""Stock checked against a stale cache: availability is read from the ERP once per cache lifetime.

A common way to spare the ERP's concurrency limit: the connector caches the ERP's availability for
a quarter of an hour and keeps Salesforce in line with the cache. Between refreshes, every unit the
promotion sells, every receipt and every backorder committed is invisible, and Salesforce keeps
offering stock that is already promised to someone else.
"""

from __future__ import annotations

import time
from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.availability import Availability

CACHE_SECONDS = 900.0
"""Wall seconds the cached availability is trusted: longer than a whole rehearsal at 120x."""


class CachedAvailability(Availability):
    _cached: dict[str, float] | None = None
    _fetched = 0.0

    async def available(self) -> dict[str, float]:
        if self._cached is None or time.monotonic() - self._fetched > CACHE_SECONDS:
            self._cached = await super().available()
            self._fetched = time.monotonic()
        return self._cached


build_app = partial(build_reference_app, availability=CachedAvailability)
