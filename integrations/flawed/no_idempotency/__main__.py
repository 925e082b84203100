"""``python -m integrations.flawed.no_idempotency``: the reference with no idempotency on order webhooks."""

from integrations.flawed.no_idempotency import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/no_idempotency")
