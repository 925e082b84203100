"""``python -m integrations.flawed.refund_repeated_on_duplicate``: pays again on every redelivered return webhook."""

from integrations.flawed.refund_repeated_on_duplicate import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/refund_repeated_on_duplicate")
