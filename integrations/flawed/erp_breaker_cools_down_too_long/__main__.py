"""``python -m integrations.flawed.erp_breaker_cools_down_too_long``: the reference behind a breaker
that stays open for a fixed cool-down."""

from integrations.flawed.erp_breaker_cools_down_too_long import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/erp_breaker_cools_down_too_long")
