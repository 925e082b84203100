"""``python -m integrations.flawed.cutover_misroutes_in_flight``: after a cutover, shipments go to the new ERP."""

from integrations.flawed.cutover_misroutes_in_flight import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/cutover_misroutes_in_flight")
