"""Starting an integration the way rehearse does: configuration from the environment, one server.

The flawed integrations start through here too, so they differ from the reference only in the app.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from integrations.reference.settings import Settings, SettingsError


def launch(build_app: Callable[[Settings], FastAPI], name: str) -> None:
    """Serves the app on 127.0.0.1 until SIGTERM or SIGINT, then shuts down gracefully.

    A configuration problem ends the process with one line on stderr and exit status 1, which is
    what lands in ``sut.log`` when a run cannot start its SUT; a traceback would bury it.
    """
    try:
        settings = Settings.from_environment(os.environ)
    except SettingsError as problem:
        raise SystemExit(f"{name}: {problem}") from None
    run_id = settings.run_id.replace("%", "%%")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request; rehearse records them anyway
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s %(levelname)s {name} [{run_id}] %(name)s: %(message)s")
    uvicorn.run(
        build_app(settings),
        host="127.0.0.1",
        port=settings.port,
        lifespan="on",  # a failed startup must stop the process, not leave it serving half-built
        access_log=False,  # rehearse records every exchange itself
        timeout_graceful_shutdown=2,
    )
