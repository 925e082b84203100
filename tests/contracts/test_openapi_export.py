"""The committed OpenAPI documents are the mocks' own, and say what each vendor's API promises."""

from __future__ import annotations

from typing import Any

import pytest

from harness.contracts.documents import OPENAPI, SYSTEMS, committed, inlined
from harness.contracts.export import documents, render

ERROR_SHAPES = {
    "salesforce": lambda schema: (
        schema["type"] == "array" and {"message", "errorCode"} <= set(schema["items"]["required"])
    ),
    "erp": lambda schema: "o:errorDetails" in schema["required"],
    "wms": lambda schema: {"type", "title", "status"} <= set(schema["required"]),
    "carrier": lambda schema: schema["required"] == ["error"],
}


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    return documents()


@pytest.mark.parametrize("system", SYSTEMS)
def test_committed_spec_is_what_the_mock_serves(system: str, generated: dict[str, dict[str, Any]]) -> None:
    path = OPENAPI / f"{system}.json"
    assert path.exists(), f"{path} is missing: run `rehearse contracts export` and commit it"
    assert path.read_text() == render(generated[system]), (
        f"{path} differs from the OpenAPI the mock serves: run `rehearse contracts export` and commit the result"
    )


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, methods in document["paths"].items() for method, op in methods.items()]


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_operation_states_auth_success_and_the_vendors_errors(system: str) -> None:
    document = inlined(committed(system))
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]
    for path, method, op in operations(document):
        label = f"{method.upper()} {path}"
        statuses = set(op["responses"])
        assert any(s.startswith("2") for s in statuses), label
        assert "422" not in statuses or system in ("wms", "carrier"), f"{label}: FastAPI's validation 422 leaked"
        if op.get("security") != []:
            assert "401" in statuses, f"{label} needs credentials but documents no 401"
        for status, answer in op["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if (
                status >= "400"
                and schema is not None
                and not (system in ("salesforce", "erp") and op.get("security") == [])
            ):
                assert ERROR_SHAPES[system](schema), f"{label} {status}: not the vendor's error body"


def test_vendor_headers_are_documented() -> None:
    salesforce = inlined(committed("salesforce"))
    read = salesforce["paths"]["/services/data/v{version}/sobjects/{sobject}/{record_id}"]["get"]
    assert all("Sforce-Limit-Info" in answer["headers"] for answer in read["responses"].values())
    erp = inlined(committed("erp"))
    create = erp["paths"]["/services/rest/record/v1/{record_type}"]["post"]["responses"]
    assert "content" not in create["204"] and "Location" in create["204"]["headers"]
    assert "Retry-After" in create["429"]["headers"]
