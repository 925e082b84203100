"""``python -m integrations.flawed.unit_price_vs_line_total``: the line total sent as the unit price."""

from integrations.flawed.unit_price_vs_line_total import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/unit_price_vs_line_total")
