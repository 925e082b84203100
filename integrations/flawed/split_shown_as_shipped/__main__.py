"""``python -m integrations.flawed.split_shown_as_shipped``: any parcel shipped marks the order Shipped."""

from integrations.flawed.split_shown_as_shipped import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/split_shown_as_shipped")
