"""``rehearse contracts check-provider``: our contract held against a provider on loopback.

The provider is our own WMS mock (which must conform) or a tiny FastAPI app answering the wrong
shape (which must be reported). The contract is a fragment of the WMS's, written here so the test
does not depend on the committed spec's details.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from harness.cli import app as cli
from harness.contracts.provider_check import ProviderCheckError, check_provider, is_loopback
from harness.contracts.served_mocks import ServedMocks
from harness.hosting import MockServer
from mocks.wms import TOKEN

ERROR = {"type": "object"}
WMS_FRAGMENT = {
    "openapi": "3.1.0",
    "info": {"title": "ShipBob-flavoured WMS (fragment)", "version": "1.0"},
    "paths": {
        "/1.0/channel": {
            "get": {
                "responses": {
                    "200": {
                        "description": "The channels the token may use",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["id", "name"],
                                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                                    },
                                }
                            }
                        },
                    },
                    "401": {"description": "No token", "content": {"application/json": {"schema": ERROR}}},
                }
            }
        },
        "/1.0/order/{order_id}": {
            "get": {
                "parameters": [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "The order",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "reference_id", "status"],
                                    "properties": {"id": {"type": "integer"}, "reference_id": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "401": {"description": "No token", "content": {"application/json": {"schema": ERROR}}},
                    "404": {"description": "No such order", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/1.0/order": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "Created"}},
            }
        },
    },
}
AUTH = ["--token", TOKEN, "--header", "shipbob_channel_id=100"]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "wms.json"
    path.write_text(json.dumps(WMS_FRAGMENT))
    return path


@pytest.fixture(scope="module")
def wms_mock() -> Iterator[str]:
    with ServedMocks() as mocks:
        yield mocks.url


def wrong_shape_app() -> FastAPI:
    app = FastAPI()

    @app.get("/1.0/channel")
    async def channels() -> dict[str, object]:
        return {"channels": [{"id": "100", "name": "web"}]}  # an object where the contract says array

    @app.get("/1.0/order/{order_id}")
    async def order(order_id: str) -> dict[str, object]:
        return {"id": order_id, "reference_id": 7, "status": "Processing"}

    return app


@pytest.fixture
def wrong_provider() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = MockServer("wrong-wms", wrong_shape_app())
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server.base_url
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["contracts", "check-provider", "--system", "wms", *args])
    return result.exit_code, result.output


def test_our_wms_mock_conforms_to_the_contract(spec: Path, wms_mock: str, tmp_path: Path) -> None:
    code, output = check(
        "--base-url", wms_mock, "--spec", str(spec), "--max-cases", "10", "--report", str(tmp_path / "r"), *AUTH
    )
    assert code == 0, output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["passed"] is True
    tried = {op["operation"]: op for op in report["operations"]}
    assert tried["GET /1.0/channel"]["cases"] >= 1
    assert tried["GET /1.0/order/{order_id}"]["cases"] == 10
    assert tried["POST /1.0/order"]["skipped"] == "a write (--allow-writes)"
    assert "CONFORMS" in (tmp_path / "r.md").read_text()


def test_a_provider_answering_the_wrong_shape_is_reported(spec: Path, wrong_provider: str, tmp_path: Path) -> None:
    code, output = check(
        "--base-url", wrong_provider, "--spec", str(spec), "--max-cases", "5", "--report", str(tmp_path / "r"), *AUTH
    )
    assert code == 1, output
    report = json.loads((tmp_path / "r.json").read_text())
    failing = {op["operation"]: op for op in report["operations"] if not op["passed"]}
    assert set(failing) == {"GET /1.0/channel", "GET /1.0/order/{order_id}"}
    miss = failing["GET /1.0/channel"]["nonconformances"][0]
    assert miss["check"] == "response_schema_conformance"
    assert miss["example"]["response"]["status"] == 200
    assert '"channels"' in miss["example"]["response"]["body"]
    assert miss["example"]["request"]["headers"]["Authorization"] == "[redacted]"
    markdown = (tmp_path / "r.md").read_text()
    assert "DOES NOT CONFORM" in markdown and "Example request" in markdown


def test_writes_go_to_a_loopback_provider_only_when_allowed(spec: Path, wms_mock: str, tmp_path: Path) -> None:
    code, output = check(
        "--base-url",
        wms_mock,
        "--spec",
        str(spec),
        "--max-cases",
        "3",
        "--allow-writes",
        "--report",
        str(tmp_path / "r"),
        *AUTH,
    )
    report = json.loads((tmp_path / "r.json").read_text())
    create = next(op for op in report["operations"] if op["operation"] == "POST /1.0/order")
    assert create["cases"] == 3 and create["skipped"] is None
    # The fragment documents only 201; the mock refuses a generated order with ShipBob's 400.
    assert code == 1, output
    assert create["nonconformances"][0]["example"]["response"]["status"] == 400
    assert create["nonconformances"][0]["example"]["response"]["headers"]["content-type"] == "application/json"


def test_writes_to_a_remote_address_are_refused_before_anything_is_sent(spec: Path) -> None:
    code, output = check("--base-url", "https://api.shipbob.com", "--spec", str(spec), "--allow-writes")
    assert code == 2
    assert "refused" in output
    with pytest.raises(ProviderCheckError, match="loopback"):
        check_provider("wms", "http://10.0.0.1:8080", spec=str(spec), headers={}, allow_writes=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:1/x", "http://[::1]:80"])
def test_loopback_addresses_are_recognised(url: str) -> None:
    assert is_loopback(url)
    assert not is_loopback(
        url.replace("127.0.0.1", "example.com").replace("localhost", "10.1.1.1").replace("[::1]", "[2001:db8::1]")
    )


def test_a_spec_that_does_not_load_and_a_url_that_does_not_answer_exit_2(spec: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    code, output = check("--base-url", "http://127.0.0.1:9", "--spec", str(tmp_path / "broken.json"))
    assert code == 2 and "does not load" in output, output
    code, output = check("--base-url", "http://127.0.0.1:9", "--spec", str(tmp_path / "absent.json"))
    assert code == 2 and "no such file" in output, output
    code, output = check("--base-url", "http://127.0.0.1:9", "--spec", str(spec))
    assert code == 2 and "does not answer" in output, output


def test_a_spec_given_by_url_is_loaded_from_there(wrong_provider: str, tmp_path: Path) -> None:
    # The app's own OpenAPI describes what it does, so it conforms to that, if not to ours.
    code, output = check(
        "--base-url", wrong_provider, "--spec", f"{wrong_provider}/openapi.json", "--report", str(tmp_path / "r")
    )
    assert code == 0, output
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["operations_tried"] == 2
    code, output = check("--base-url", wrong_provider, "--spec", "http://127.0.0.1:9/openapi.json")
    assert code == 2 and "does not load" in output, output
