"""``python -m integrations.flawed.gives_up_on_erp_outage``: the reference that gives up on ERP 503s."""

from integrations.flawed.gives_up_on_erp_outage import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/gives_up_on_erp_outage")
