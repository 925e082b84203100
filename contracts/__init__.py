"""The contracts rehearse holds SUTs and mocks to: what a SUT is given, what it must expose, and the
JSON Schemas of the events mocks send. Shipped as package data so a non-editable install finds them."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
EVENTS = HERE / "events"
OPENAPI = HERE / "openapi"
SYSTEMS = ("salesforce", "erp", "wms", "carrier")
"""The mocks with an OpenAPI document, ``OPENAPI / f"{system}.json"``."""
