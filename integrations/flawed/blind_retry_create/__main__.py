"""``python -m integrations.flawed.blind_retry_create``: the reference whose ERP create is not idempotent."""

from integrations.flawed.blind_retry_create import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/blind_retry_create")
