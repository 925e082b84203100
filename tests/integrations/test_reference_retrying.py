"""The retry policy: which answers are retried, how long the waits are, and the one refresh on 401."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sut_doubles import ORDER_ID, SALESFORCE_SESSION_EXPIRED

from integrations.reference.retrying import (
    UNSTATED_RATE_LIMIT_WAIT,
    Backoff,
    CallRetries,
    PermanentFailure,
    TransientFailure,
    failure_for,
    retry_after_seconds,
)
from integrations.reference.salesforce import Salesforce, salesforce_error_codes
from integrations.reference.session import Grant, Session

pytestmark = pytest.mark.anyio
BACKOFF = Backoff(base=0.1, cap=2.0)


@given(attempt=st.integers(min_value=0, max_value=10_000))
def test_backoff_never_exceeds_its_exponential_bound_or_its_cap(attempt: int) -> None:
    bound = BACKOFF.cap if attempt > 100 else min(BACKOFF.cap, BACKOFF.base * 2**attempt)
    assert 0 <= BACKOFF.delay(attempt) <= bound


def test_backoff_is_jittered_over_the_whole_range() -> None:
    delays = [BACKOFF.delay(10) for _ in range(500)]
    assert len(set(delays)) > 450
    assert min(delays) < 0.2 * BACKOFF.cap
    assert max(delays) > 0.8 * BACKOFF.cap


def test_a_retry_after_is_a_floor_for_the_wait() -> None:
    delays = [BACKOFF.delay(0, retry_after=3.0) for _ in range(200)]
    assert all(3.0 <= d <= 3.0 + BACKOFF.base for d in delays)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), ("inf", None), ("nan", None)],
)
def test_retry_after_is_read_as_seconds(value: str, expected: float | None) -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": value})) == expected


def test_retry_after_may_be_an_http_date() -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = retry_after_seconds(httpx.Response(503, headers={"Retry-After": date}))
    assert seconds is not None
    assert 28 <= seconds <= 30


def salesforce_answer(status: int, error_code: str | None = None, **headers: str) -> httpx.Response:
    body = [{"message": "...", "errorCode": error_code, "fields": []}] if error_code else None
    response = httpx.Response(status, json=body, headers=headers)
    response.request = httpx.Request("GET", "http://salesforce.test/services/data/v62.0/sobjects/Order/x")
    return response


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (salesforce_answer(200), None),
        (salesforce_answer(204), None),
        (salesforce_answer(500), TransientFailure),
        (salesforce_answer(502), TransientFailure),
        (salesforce_answer(503), TransientFailure),
        (salesforce_answer(429), TransientFailure),
        (salesforce_answer(408), TransientFailure),
        (salesforce_answer(403, "REQUEST_LIMIT_EXCEEDED"), TransientFailure),
        (salesforce_answer(400, "UNABLE_TO_LOCK_ROW"), TransientFailure),
        (salesforce_answer(403, "INSUFFICIENT_ACCESS"), PermanentFailure),
        (salesforce_answer(400, "INVALID_FIELD"), PermanentFailure),
        (salesforce_answer(404, "NOT_FOUND"), PermanentFailure),
        (salesforce_answer(422), PermanentFailure),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_which_answers_are_retried(response: httpx.Response, expected: type[Exception] | None) -> None:
    failure = failure_for(response, salesforce_error_codes(response))
    assert (None if failure is None else type(failure)) is expected


def test_retry_after_is_kept_on_429_and_503() -> None:
    for status in (429, 503):
        failure = failure_for(salesforce_answer(status, **{"Retry-After": "12"}), [])
        assert isinstance(failure, TransientFailure)
        assert failure.retry_after == 12.0


class Scripted:
    """A system answering from a script, one answer per request, recording what it was sent."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.logins = 0
        self.slept: list[float] = []
        self.now = 0.0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def authenticate(self, correlation_id: str | None) -> Grant:
        self.logins += 1
        return Grant(access_token=f"token-{self.logins}", base_url="http://erp.test")

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def session(self, attempts: int = 4) -> Session:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return Session(
            http,
            self.authenticate,
            salesforce_error_codes,
            retries=CallRetries(attempts=attempts, backoff=BACKOFF),
            sleep=self.sleep,
            clock=lambda: self.now,
        )


async def test_a_503_with_retry_after_is_retried_after_that_wait() -> None:
    system = Scripted(httpx.Response(503, headers={"Retry-After": "1.5"}), httpx.Response(200, json={"ok": 1}))
    response = await system.session().request("GET", "/thing", correlation_id=ORDER_ID)
    assert response.json() == {"ok": 1}
    assert len(system.requests) == 2
    [wait] = system.slept
    assert 1.5 <= wait <= 1.5 + BACKOFF.base


async def test_connection_errors_and_timeouts_are_retried() -> None:
    system = Scripted(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(204))
    response = await system.session().request("PUT", "/thing", correlation_id=ORDER_ID, json={})
    assert response.status_code == 204
    assert len(system.requests) == 3
    assert all(0 <= wait <= BACKOFF.cap for wait in system.slept)


async def test_a_client_error_is_not_retried() -> None:
    system = Scripted(httpx.Response(400, json={"title": "Bad Request"}))
    with pytest.raises(PermanentFailure, match="400"):
        await system.session().request("PUT", "/thing", correlation_id=ORDER_ID, json={})
    assert len(system.requests) == 1
    assert system.slept == []


async def test_quick_retries_run_out_and_the_failure_goes_up() -> None:
    system = Scripted(*(httpx.Response(500) for _ in range(3)))
    with pytest.raises(TransientFailure):
        await system.session(attempts=3).request("GET", "/thing", correlation_id=ORDER_ID)
    assert len(system.requests) == 3
    assert len(system.slept) == 2


async def test_a_long_retry_after_is_handed_up_instead_of_slept() -> None:
    system = Scripted(httpx.Response(429, headers={"Retry-After": "60"}))
    with pytest.raises(TransientFailure) as raised:
        await system.session().request("GET", "/thing", correlation_id=ORDER_ID)
    assert raised.value.retry_after == 60.0
    assert system.slept == []


async def test_a_long_rate_limit_holds_every_call_to_the_system_unsent_until_it_passes() -> None:
    system = Scripted(salesforce_answer(403, "REQUEST_LIMIT_EXCEEDED", **{"Retry-After": "60"}), httpx.Response(200))
    session = system.session()
    with pytest.raises(TransientFailure):
        await session.request("GET", "/thing", correlation_id=ORDER_ID)
    system.now += 30
    with pytest.raises(TransientFailure, match="not sent") as held:
        await session.request("PATCH", "/other", correlation_id=ORDER_ID, json={})
    assert held.value.retry_after == pytest.approx(30)
    assert len(system.requests) == 1, "nothing else is sent while the org says to wait"
    system.now += 30
    assert (await session.request("PATCH", "/other", correlation_id=ORDER_ID, json={})).status_code == 200


async def test_a_429_without_retry_after_still_spaces_out_the_next_calls() -> None:
    # NetSuite's concurrency 429 says nothing about when: a short pause is the floor all the same.
    system = Scripted(httpx.Response(429), httpx.Response(200), httpx.Response(200))
    session = system.session()
    await session.request("GET", "/thing", correlation_id=ORDER_ID)
    assert sum(system.slept) >= UNSTATED_RATE_LIMIT_WAIT
    await session.request("GET", "/other", correlation_id=ORDER_ID)
    assert len(system.requests) == 3


async def test_every_call_carries_the_token_and_the_correlation_id() -> None:
    system = Scripted(httpx.Response(200))
    await system.session().request("GET", "/thing", correlation_id=ORDER_ID)
    [request] = system.requests
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["X-Correlation-Id"] == ORDER_ID


async def test_a_401_refreshes_the_token_once_and_repeats_the_call() -> None:
    system = Scripted(httpx.Response(401, json=SALESFORCE_SESSION_EXPIRED), httpx.Response(200), httpx.Response(200))
    session = system.session()
    await session.request("GET", "/thing", correlation_id=ORDER_ID)
    await session.request("GET", "/other", correlation_id=ORDER_ID)
    assert system.logins == 2
    assert [r.headers["Authorization"] for r in system.requests] == ["Bearer token-1"] + ["Bearer token-2"] * 2


async def test_a_fresh_token_refused_again_is_not_refreshed_in_a_loop() -> None:
    system = Scripted(*(httpx.Response(401, json=SALESFORCE_SESSION_EXPIRED) for _ in range(2)))
    with pytest.raises(TransientFailure, match="401"):
        await system.session().request("GET", "/thing", correlation_id=ORDER_ID)
    assert system.logins == 2
    assert len(system.requests) == 2
    assert system.slept == []


def salesforce_org(data_answer: Callable[[httpx.Request], httpx.Response]) -> tuple[Salesforce, list[str]]:
    """A Salesforce client against a scripted org; also returns the paths it requested, in order."""
    paths: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/services/oauth2/token":
            form = dict(pair.split("=") for pair in request.content.decode().split("&"))
            assert form == {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
            return httpx.Response(
                200, json={"access_token": f"t{len(paths)}", "instance_url": "https://org.my.salesforce.test"}
            )
        assert request.url.host == "org.my.salesforce.test", "data calls go to the instance_url"
        return data_answer(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return Salesforce(http, login_url="https://login.test", client_id="id", client_secret="secret"), paths


async def test_salesforce_logs_in_again_when_its_session_expires() -> None:
    answers = [httpx.Response(401, json=SALESFORCE_SESSION_EXPIRED), httpx.Response(204)]
    salesforce, paths = salesforce_org(lambda _: answers.pop(0))
    await salesforce.update_order(ORDER_ID, {"ERP_Order_Number__c": "SO1"})
    order_path = f"/services/data/v62.0/sobjects/Order/{ORDER_ID}"
    assert paths == ["/services/oauth2/token", order_path, "/services/oauth2/token", order_path]


async def test_refused_credentials_are_a_permanent_failure() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_client", "error_description": "invalid client credentials"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    salesforce = Salesforce(http, login_url="https://login.test", client_id="id", client_secret="wrong")
    with pytest.raises(PermanentFailure, match="credentials refused"):
        await salesforce.read_order(ORDER_ID)
