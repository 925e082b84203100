"""The integration's configuration, read once from the environment rehearse gives a SUT."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_REQUIRED = (
    "REHEARSE_SUT_PORT",
    "REHEARSE_SUT_STATE_DIR",
    "REHEARSE_SALESFORCE_URL",
    "REHEARSE_SALESFORCE_CLIENT_ID",
    "REHEARSE_SALESFORCE_CLIENT_SECRET",
    "REHEARSE_ERP_URL",
    "REHEARSE_ERP_CLIENT_ID",
    "REHEARSE_ERP_CLIENT_SECRET",
)


class SettingsError(ValueError):
    """The environment cannot configure the integration; the message names what to fix."""


@dataclass(frozen=True)
class Settings:
    port: int
    state_dir: Path
    run_id: str
    salesforce_url: str
    salesforce_client_id: str
    salesforce_client_secret: str
    erp_url: str
    erp_client_id: str
    erp_client_secret: str
    wms_url: str | None = None
    wms_token: str | None = None
    wms_channel_id: str | None = None
    carrier_webhook_secret: str | None = None
    """The fulfilment workflows' systems (W3-W5) are optional: a W1-only rehearsal may leave them out,
    and the workflows that need them fail their deliveries with the variable's name until they are set."""
    erp_next_url: str | None = None
    erp_next_client_id: str | None = None
    erp_next_client_secret: str | None = None
    """The successor ERP account of a cutover rehearsal (``REHEARSE_ERP_NEXT_*``); absent otherwise."""
    availability_poll: float | None = 0.5
    """Wall seconds between W2's availability polls (30 simulated seconds at 60x); None turns W2 off,
    for tests whose fake systems answer only the calls of the workflow they test."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """Every problem is reported at once, so a misconfigured run fails once, not once per variable.

        ``REHEARSE_RUN_ID`` is optional: it only labels log lines, and an integration started by hand
        for ``--sut-url`` should not refuse to start without it.
        """
        missing = [name for name in _REQUIRED if not environ.get(name)]
        if missing:
            raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
        port = environ["REHEARSE_SUT_PORT"]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"REHEARSE_SUT_PORT must be a TCP port number, not {port!r}")
        return cls(
            port=int(port),
            state_dir=Path(environ["REHEARSE_SUT_STATE_DIR"]),
            run_id=environ.get("REHEARSE_RUN_ID", ""),
            salesforce_url=environ["REHEARSE_SALESFORCE_URL"].rstrip("/"),
            salesforce_client_id=environ["REHEARSE_SALESFORCE_CLIENT_ID"],
            salesforce_client_secret=environ["REHEARSE_SALESFORCE_CLIENT_SECRET"],
            erp_url=environ["REHEARSE_ERP_URL"].rstrip("/"),
            erp_client_id=environ["REHEARSE_ERP_CLIENT_ID"],
            erp_client_secret=environ["REHEARSE_ERP_CLIENT_SECRET"],
            wms_url=(environ.get("REHEARSE_WMS_URL") or "").rstrip("/") or None,
            wms_token=environ.get("REHEARSE_WMS_TOKEN") or None,
            wms_channel_id=environ.get("REHEARSE_WMS_CHANNEL_ID") or None,
            carrier_webhook_secret=environ.get("REHEARSE_CARRIER_WEBHOOK_SECRET") or None,
            erp_next_url=(environ.get("REHEARSE_ERP_NEXT_URL") or "").rstrip("/") or None,
            erp_next_client_id=environ.get("REHEARSE_ERP_NEXT_CLIENT_ID") or None,
            erp_next_client_secret=environ.get("REHEARSE_ERP_NEXT_CLIENT_SECRET") or None,
        )
