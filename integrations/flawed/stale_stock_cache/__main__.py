"""``python -m integrations.flawed.stale_stock_cache``: Salesforce availability from a 15-minute cache."""

from integrations.flawed.stale_stock_cache import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/stale_stock_cache")
