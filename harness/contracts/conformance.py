"""Self-conformance: schemathesis drives each mock, in process, from its committed contract.

Every generated request (valid and invalid ones, then stateful chains along the spec's links) is
answered by the mock, and each answer is judged by the checks that say the contract tells the
truth: no server error, a documented status, the documented content type, headers and body. A mock
that disagrees with its committed spec has a bug, or the spec is wrong about the vendor: either is
fixed at its source, never by loosening a check.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from starlette.types import ASGIApp

from harness.contracts.documents import committed
from harness.contracts.export import staged_mocks
from mocks.carrier import API_KEY
from mocks.wms import CHANNEL_HEADER

CHECKS: tuple[Callable[..., Any], ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
EXAMPLES_KEPT = 3
QUIET: dict[str, Any] = {"suppress_health_check": list(HealthCheck)}
"""Generated API cases are slow and filtered by design; hypothesis's health checks would only nag."""


@dataclass(slots=True)
class Tally:
    """What one mock's conformance run did and found: failures counted per check, a few examples each."""

    system: str
    cases: int = 0
    stateful_steps: int = 0
    stateful_cut_short: bool = False
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def judge(self, case: Case, response: Response) -> None:
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            except (Failure, FailureGroup) as exc:
                body = response.text[:200] if response.text else ""
                self._failed(
                    check.__name__,
                    f"{case.method} {case.formatted_path} -> {response.status_code} {body!r}: "
                    f"{str(exc).strip().splitlines()[0][:300]}",
                )

    def crashed(self, case: Case, exc: Exception) -> None:
        """The app raised instead of answering: in a served mock, a 500 and a traceback."""
        self._failed(not_a_server_error.__name__, f"{case.method} {case.formatted_path} raised {exc!r}"[:400])

    def _failed(self, check: str, example: str) -> None:
        self.failures[check] += 1
        kept = self.examples.setdefault(check, [])
        if len(kept) < EXAMPLES_KEPT:
            kept.append(example)

    def report(self) -> str:
        cut = " (cut short: replay diverged on kept state)" if self.stateful_cut_short else ""
        lines = [f"{self.system}: {self.cases} cases, {self.stateful_steps} stateful steps{cut}"]
        for name, count in self.failures.most_common():
            lines.append(f"  {name}: {count}")
            lines.extend(f"    {example}" for example in self.examples[name])
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Rig:
    """A mock's app and the headers an authorised client sends it."""

    app: ASGIApp
    headers: dict[str, str]


def _form_token(app: ASGIApp, path: str, form: dict[str, str]) -> str:
    async def fetch() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            reply = await client.post(path, data=form)
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    return asyncio.run(fetch())


@contextmanager
def rigs(seed: int = 1) -> Iterator[dict[str, Rig]]:
    """The four mocks of one staged world, each with a signed-in client's headers."""
    with staged_mocks(seed) as stage:
        salesforce = stage.salesforce.asgi_app()
        sf_token = _form_token(
            salesforce,
            "/services/oauth2/token",
            {
                "grant_type": "client_credentials",
                "client_id": stage.salesforce.credentials.client_id,
                "client_secret": stage.salesforce.credentials.client_secret,
            },
        )
        erp = stage.erp.asgi_app()
        erp_token = _form_token(
            erp,
            "/services/rest/auth/oauth2/v1/token",
            {
                "grant_type": "client_credentials",
                "client_id": stage.erp.credentials.client_id,
                "client_secret": stage.erp.credentials.client_secret,
            },
        )
        basic = base64.b64encode(f"{API_KEY}:".encode()).decode()
        yield {
            "salesforce": Rig(salesforce, {"Authorization": f"Bearer {sf_token}"}),
            "erp": Rig(erp, {"Authorization": f"Bearer {erp_token}"}),
            "wms": Rig(
                stage.wms.asgi_app(),
                {"Authorization": f"Bearer {stage.wms.token}", CHANNEL_HEADER: str(stage.wms.channel.id)},
            ),
            "carrier": Rig(stage.carrier.asgi_app(), {"Authorization": f"Basic {basic}"}),
        }


def conform(system: str, rig: Rig, *, examples: int, stateful_scenarios: int, derandomize: bool = True) -> Tally:
    """``examples`` generated cases per operation (half valid, half not), then stateful scenarios."""
    schema = schemathesis.openapi.from_dict(committed(system))
    schema.app = rig.app
    tally = Tally(system)

    overridden = {name.lower() for name in rig.headers}

    def call(case: Case) -> Response | None:
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() not in overridden}
        try:
            return case.call(headers={**generated, **rig.headers}, app=rig.app)
        except Exception as exc:
            tally.crashed(case, exc)
            return None

    def exchange(case: Case) -> None:
        tally.cases += 1
        response = call(case)
        if response is not None:
            tally.judge(case, response)

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        explicit = operation.get_strategies_from_examples()
        for strategy in explicit:

            @settings(max_examples=1, deadline=None, database=None, phases=[Phase.generate], **QUIET)
            @given(case=strategy)
            def documented(case: Case) -> None:
                exchange(case)

            documented()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=max(examples // 2, 1),
                deadline=None,
                database=None,
                derandomize=derandomize,
                phases=[Phase.explicit, Phase.generate],
                **QUIET,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Case) -> None:
                exchange(case)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameters, no body)

    if stateful_scenarios:
        machine = schema.as_state_machine()

        class Chains(machine):  # type: ignore[misc,valid-type]
            def call(self, case: Case, **kwargs: Any) -> Response:
                response = call(case)
                if response is None:
                    raise _Crashed(case)
                return response

            def validate_response(self, response: Response, case: Case, *args: Any, **kwargs: Any) -> None:
                tally.stateful_steps += 1
                tally.judge(case, response)

        try:
            run_state_machine_as_test(
                Chains,
                settings=settings(
                    max_examples=stateful_scenarios,
                    deadline=None,
                    database=None,
                    derandomize=derandomize,
                    stateful_step_count=6,
                    phases=[Phase.generate],
                    **QUIET,
                ),
            )
        except _Crashed:
            pass  # counted as a failure where it happened
        except Flaky:
            # The mock keeps what earlier scenarios wrote, so a replayed prefix can take another path
            # (a reference id now taken): hypothesis stops the stateful run there. Steps so far count.
            tally.stateful_cut_short = True
    return tally


class _Crashed(Exception):
    """Ends a stateful run at a step the app raised on (already counted as a failure)."""
