"""``python -m integrations.flawed.ignores_429``: rate limits retried at once, Retry-After ignored."""

from integrations.flawed.ignores_429 import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/ignores_429")
