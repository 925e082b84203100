"""``python -m integrations.flawed.drops_writeback_on_rate_limit``: no ERP number under a rate limit."""

from integrations.flawed.drops_writeback_on_rate_limit import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/drops_writeback_on_rate_limit")
