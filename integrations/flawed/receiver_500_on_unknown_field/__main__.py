"""``python -m integrations.flawed.receiver_500_on_unknown_field``: carrier events with unknown fields get a 500."""

from integrations.flawed.receiver_500_on_unknown_field import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/receiver_500_on_unknown_field")
