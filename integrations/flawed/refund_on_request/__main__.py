"""``python -m integrations.flawed.refund_on_request``: refunds when the return case opens, before receipt."""

from integrations.flawed.refund_on_request import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/refund_on_request")
