"""The integrations as rehearse runs them: a process configured by the environment, serving on the
loopback port it is given, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sut_doubles import ORDER_ID, FakeSystems, environment_for, free_port, order_event, served_on_loopback, settings_for

REPO = Path(__file__).resolve().parents[2]
BASE_ENVIRONMENT = {key: value for key, value in os.environ.items() if not key.startswith("REHEARSE_")}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        time.sleep(0.02)


def answers_health(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def integration_process(module: str, environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=REPO,
            env={**BASE_ENVIRONMENT, **environment},
            stdout=output,
            stderr=output,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.parametrize("module", ["integrations.reference", "integrations.flawed.no_idempotency"])
def test_a_missing_variable_ends_the_process_with_one_line(module: str) -> None:
    environment = environment_for(settings_for(Path("/tmp/unused")))
    del environment["REHEARSE_ERP_URL"], environment["REHEARSE_SALESFORCE_CLIENT_SECRET"]
    finished = subprocess.run(
        [sys.executable, "-m", module],
        cwd=REPO,
        env={**BASE_ENVIRONMENT, **environment},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert finished.returncode != 0
    assert finished.stderr.strip().splitlines() == [
        f"{module.removeprefix('integrations.').replace('.', '/')}: missing environment variable(s): "
        "REHEARSE_SALESFORCE_CLIENT_SECRET, REHEARSE_ERP_URL"
    ]


def test_a_port_that_is_not_a_number_ends_the_process_with_one_line(tmp_path: Path) -> None:
    environment = {**environment_for(settings_for(tmp_path)), "REHEARSE_SUT_PORT": "eighty"}
    finished = subprocess.run(
        [sys.executable, "-m", "integrations.reference"],
        cwd=REPO,
        env={**BASE_ENVIRONMENT, **environment},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert finished.returncode != 0
    assert "Traceback" not in finished.stderr
    assert "REHEARSE_SUT_PORT must be a TCP port number" in finished.stderr


@pytest.mark.parametrize(
    ("module", "erp_orders"), [("integrations.reference", 1), ("integrations.flawed.no_idempotency", 2)]
)
def test_the_process_captures_orders_and_stops_cleanly_on_sigterm(tmp_path: Path, module: str, erp_orders: int) -> None:
    systems = FakeSystems()
    systems.add_order()
    with served_on_loopback(systems.app) as systems_url:
        settings = settings_for(tmp_path / "state", url=systems_url, port=free_port())
        sut_url = f"http://127.0.0.1:{settings.port}"
        with integration_process(module, environment_for(settings), tmp_path / "sut.log") as process:
            wait_for(lambda: answers_health(sut_url) or process.poll() is not None, "the SUT answers /health")
            assert process.poll() is None, (tmp_path / "sut.log").read_text()
            for _ in range(2):
                response = httpx.post(f"{sut_url}/webhooks/salesforce", json=order_event(replay_id=17), timeout=5)
                assert response.status_code == 200
            wait_for(
                lambda: (
                    len(systems.sales_orders_for(ORDER_ID)) == erp_orders
                    and systems.orders[ORDER_ID]["ERP_Order_Number__c"]
                    == systems.sales_orders_for(ORDER_ID)[-1]["tranId"]
                ),
                "the order is captured and written back",
            )
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal so the parent sees how it ended
            assert process.wait(timeout=5) in (0, -signal.SIGTERM)
    log = (tmp_path / "sut.log").read_text()
    assert "Application shutdown complete" in log, log
    assert "Traceback" not in log, log
    assert len(systems.sales_orders_for(ORDER_ID)) == erp_orders
