"""Retries that ignore commit-then-fail: the ERP order is created with POST and, when the answer is
lost, the whole delivery is retried and creates it again.

Deliveries are de-duplicated by replay id, so duplicate webhooks do not hurt it: only a write the
ERP committed but whose answer never came back does. That is the classic source of duplicates
that passes every test with a well-behaved ERP.
"""

from __future__ import annotations

from functools import partial

from integrations.flawed.no_idempotency import CreateOnEveryDelivery
from integrations.reference.app import build_app as build_reference_app

build_app = partial(build_reference_app, order_capture=CreateOnEveryDelivery)
