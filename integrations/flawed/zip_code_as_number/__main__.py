"""``python -m integrations.flawed.zip_code_as_number``: US zip codes leave as JSON numbers."""

from integrations.flawed.zip_code_as_number import build_app
from integrations.reference.launch import launch

launch(build_app, "flawed/zip_code_as_number")
