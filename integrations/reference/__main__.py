"""``python -m integrations.reference``: run the reference integration as rehearse's SUT."""

from integrations.reference.app import build_app
from integrations.reference.launch import launch

launch(build_app, "reference")
