"""``python -m integrations.flawed.tracking_regresses``: tracking applied in arrival order."""

from integrations.flawed.tracking_regresses import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/tracking_regresses")
