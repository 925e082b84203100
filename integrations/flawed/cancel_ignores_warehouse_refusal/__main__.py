"""``python -m integrations.flawed.cancel_ignores_warehouse_refusal``: a cancellation ignores the WMS's refusal."""

from integrations.flawed.cancel_ignores_warehouse_refusal import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/cancel_ignores_warehouse_refusal")
