"""A vendor's real or staging API checked against our contract of it, with schemathesis.

The vendor (or a team choosing one) points this at their API: every operation of our OpenAPI for
that system is called with generated requests, and each answer is held to the contract (status
code documented, content type, headers, body schema, never a 5xx). Read-only by default; writes
only with ``allow_writes`` and only to a loopback address, because generated writes create real
records. The result is a report a vendor can hand over: what was tried, what conformed, what did
not, with an example exchange per failure.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import requests
import schemathesis
from hypothesis import given
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contracts import HERE as CONTRACTS
from harness.contracts.generated_cases import generated_cases

SYSTEMS = ("salesforce", "erp", "wms", "carrier")
READ_METHODS = frozenset({"GET", "HEAD"})
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Conformance of the provider's answers; request-side checks (negative data) are not its contract."""
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie"})
EXAMPLE_BODY_LIMIT = 2000
REQUEST_TIMEOUT = 10.0


class ProviderCheckError(ValueError):
    """The check cannot start: a spec that does not load, a base URL that does not answer, a refused write."""


def default_spec(system: str) -> Path:
    return CONTRACTS / "openapi" / f"{system}.json"


def is_loopback(base_url: str) -> bool:
    host = urlparse(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(slots=True)
class Exchange:
    request: dict[str, Any]
    response: dict[str, Any] | None


@dataclass(slots=True)
class Nonconformance:
    check: str
    title: str
    message: str
    cases: int
    example: Exchange


@dataclass(slots=True)
class OperationResult:
    operation: str
    cases: int = 0
    conformed: int = 0
    skipped: str | None = None
    nonconformances: list[Nonconformance] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.skipped is not None or not self.nonconformances


@dataclass(slots=True)
class ProviderReport:
    system: str
    base_url: str
    spec: str
    allow_writes: bool
    max_cases: int
    started_at: str
    seconds: float = 0.0
    operations: list[OperationResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(op.passed for op in self.operations) and any(op.cases for op in self.operations)

    def to_json(self) -> dict[str, Any]:
        tried = [op for op in self.operations if op.skipped is None]
        return {
            "system": self.system,
            "base_url": self.base_url,
            "spec": self.spec,
            "allow_writes": self.allow_writes,
            "max_cases_per_operation": self.max_cases,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 2),
            "passed": self.passed,
            "totals": {
                "operations_tried": len(tried),
                "operations_conforming": sum(op.passed for op in tried),
                "operations_skipped": len(self.operations) - len(tried),
                "cases": sum(op.cases for op in tried),
                "cases_conforming": sum(op.conformed for op in tried),
            },
            "operations": [{**asdict(op), "passed": op.passed} for op in self.operations],
        }


def load_spec(spec: str) -> Any:
    """Our contract for the system, from a path or a URL; a clear error when it does not load."""
    try:
        if spec.startswith(("http://", "https://")):
            return schemathesis.openapi.from_url(spec, timeout=REQUEST_TIMEOUT)
        if not Path(spec).is_file():
            raise ProviderCheckError(f"spec {spec}: no such file")
        return schemathesis.openapi.from_path(spec)
    except ProviderCheckError:
        raise
    except Exception as exc:  # schemathesis reports unloadable specs with several exception types
        raise ProviderCheckError(f"spec {spec} does not load: {str(exc).strip().splitlines()[0]}") from exc


def check_answers(base_url: str) -> None:
    try:
        httpx.get(base_url, timeout=REQUEST_TIMEOUT)
    except httpx.HTTPError as exc:
        raise ProviderCheckError(f"base URL {base_url} does not answer: {type(exc).__name__}: {exc}") from exc


def _redacted(headers: Any) -> dict[str, str]:
    """Headers as sent or received (schemathesis keeps a list per name), credentials blanked."""
    shown = {}
    for name, value in dict(headers).items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        shown[name] = "[redacted]" if name.lower() in SECRET_HEADERS else text
    return shown


def _text(body: Any) -> str | None:
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return text[:EXAMPLE_BODY_LIMIT] + ("…" if len(text) > EXAMPLE_BODY_LIMIT else "")


def _exchange(response: Any | None, fallback: dict[str, Any]) -> Exchange:
    if response is None:
        return Exchange(fallback, None)
    request = response.request
    return Exchange(
        {
            "method": request.method,
            "url": request.url,
            "headers": _redacted(request.headers),
            "body": _text(request.body),
        },
        {
            "status": response.status_code,
            "headers": _redacted(response.headers),
            "body": _text(response.content),
        },
    )


def _check_operation(
    operation: Any, base_url: str, headers: dict[str, str], max_cases: int, deadline: float
) -> OperationResult:
    result = OperationResult(f"{operation.method.upper()} {operation.path}")
    found: dict[str, Nonconformance] = {}

    def record(failure: Failure, exchange: Exchange) -> None:
        check = failure.checks[0] if getattr(failure, "checks", ()) else type(failure).__name__
        key = f"{check}:{failure.title}"
        if key in found:
            found[key].cases += 1
        else:
            found[key] = Nonconformance(check, failure.title, (failure.message or "").strip()[:1000], 1, exchange)

    @generated_cases(max_cases)
    @given(case=operation.as_strategy())
    def one_case(case: Any) -> None:
        if time.monotonic() > deadline:
            return
        result.cases += 1
        fallback = {"method": case.method, "url": base_url + case.formatted_path}
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            record(Failure(operation=result.operation, title="No answer", message=str(exc)), Exchange(fallback, None))
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                record(failure, _exchange(response, fallback))
            return
        except Failure as failure:
            record(failure, _exchange(response, fallback))
            return
        result.conformed += 1

    one_case()
    result.nonconformances = list(found.values())
    return result


def check_provider(
    system: str,
    base_url: str,
    *,
    spec: str,
    headers: dict[str, str],
    allow_writes: bool = False,
    max_cases: int = 20,
    time_budget: float = 300.0,
    progress: Callable[[OperationResult], None] | None = None,
) -> ProviderReport:
    """Every operation of the spec against ``base_url``; writes refused off loopback before anything is sent."""
    base_url = base_url.rstrip("/")
    if allow_writes and not is_loopback(base_url):
        raise ProviderCheckError(
            f"--allow-writes against {base_url}: refused. Generated writes create real records, so they are"
            " only sent to a loopback address (127.0.0.1, ::1, localhost); check a remote API read-only."
        )
    schema = load_spec(spec)
    check_answers(base_url)
    report = ProviderReport(system, base_url, spec, allow_writes, max_cases, datetime.now(UTC).isoformat())
    started = time.monotonic()
    deadline = started + time_budget
    for loaded in schema.get_all_operations():
        if not isinstance(loaded, Ok):
            report.operations.append(
                OperationResult(str(loaded.err()).splitlines()[0], skipped="the spec's operation could not be read")
            )
            continue
        operation = loaded.ok()
        if operation.method.upper() not in READ_METHODS and not allow_writes:
            result = OperationResult(f"{operation.method.upper()} {operation.path}", skipped="a write (--allow-writes)")
        else:
            result = _check_operation(operation, base_url, headers, max_cases, deadline)
        report.operations.append(result)
        if progress is not None:
            progress(result)
    report.seconds = time.monotonic() - started
    return report


def write_report(report: ProviderReport, prefix: Path) -> tuple[Path, Path]:
    """``<prefix>.json`` (machine-readable) and ``<prefix>.md`` (for people), from the same data."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    data = report.to_json()
    json_path = prefix.with_name(prefix.name + ".json")
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path = prefix.with_name(prefix.name + ".md")
    md_path.write_text(_markdown(data))
    return md_path, json_path


def _markdown(data: dict[str, Any]) -> str:
    totals = data["totals"]
    lines = [
        f"# Contract check: {data['system']} at {data['base_url']}",
        "",
        f"**{'CONFORMS' if data['passed'] else 'DOES NOT CONFORM'}** to `{data['spec']}`"
        f" ({totals['operations_conforming']} of {totals['operations_tried']} operations conform;"
        f" {totals['cases_conforming']} of {totals['cases']} generated cases answered as the contract says).",
        "",
        f"Started {data['started_at']}, {data['seconds']} s, at most {data['max_cases_per_operation']} cases per"
        f" operation, {'writes included' if data['allow_writes'] else 'read-only (GET/HEAD)'}."
        " Checks: no 5xx, status code documented, content type, response headers, response body schema.",
        "",
        "| operation | cases | conforming | result |",
        "|---|---|---|---|",
    ]
    for op in data["operations"]:
        outcome = f"skipped: {op['skipped']}" if op["skipped"] else ("conforms" if op["passed"] else "**fails**")
        lines.append(f"| `{op['operation']}` | {op['cases']} | {op['conformed']} | {outcome} |")
    for op in data["operations"]:
        for miss in op["nonconformances"]:
            example = miss["example"]
            lines += [
                "",
                f"## `{op['operation']}`: {miss['title']} ({miss['check']}, {miss['cases']} cases)",
                "",
                "```",
                miss["message"] or "(no detail)",
                "```",
                "",
                "Example request:",
                "",
                "```json",
                json.dumps(example["request"], indent=2),
                "```",
                "",
                "Response:",
                "",
                "```json",
                json.dumps(example["response"], indent=2) if example["response"] else "(no answer)",
                "```",
            ]
    return "\n".join(lines) + "\n"
