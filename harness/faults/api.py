"""Faults on a system's HTTP API, applied by the fault gate in front of its mock.

Each fault decides, per request, what happens instead of (or before) the mock answering. Error
bodies are the vendor's own, so a SUT sees exactly what the real system would send it.
"""

from __future__ import annotations

import json
import math
import random
from collections import deque
from dataclasses import dataclass

from harness.faults import Fault, FaultSite, register
from harness.world import World
from scenarios import FaultSpec, seconds
from scenarios.distributions import distribution

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer at once, without the mock: status, vendor body, headers."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait this long (wall seconds) before going on."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Hang:
    """Accept and never answer until the window ends (wall seconds from now) or the client gives up."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Reset:
    """Drop the connection mid-answer: the client sees a protocol error, not a status."""


@dataclass(frozen=True, slots=True)
class CommitThenFail:
    """Let the mock apply the write, then lose its answer: ``status`` instead, or a reset when None."""

    status: int | None


Action = Answer | Wait | Hang | Reset | CommitThenFail

_DEFAULT_CODES = {
    ("salesforce", 503): "SERVER_UNAVAILABLE",
    ("salesforce", 500): "UNKNOWN_EXCEPTION",
    ("salesforce", 403): "REQUEST_LIMIT_EXCEEDED",
    ("salesforce", 429): "REQUEST_LIMIT_EXCEEDED",
    ("erp", 503): "SERVICE_UNAVAILABLE",
    ("erp", 500): "UNEXPECTED_ERROR",
    ("erp", 429): "CONCURRENCY_LIMIT_EXCEEDED",
}


VENDOR_OF = {"erp-next": "erp"}
"""Systems served by another system's mock: a cutover's successor ERP is a NetSuite account too."""


def vendor_of(system: str) -> str:
    return VENDOR_OF.get(system, system)


def vendor_error(system: str, status: int, code: str | None, message: str) -> bytes:
    """The body the vendor sends with this status (see VENDOR_APIS.md)."""
    system = vendor_of(system)
    code = code or _DEFAULT_CODES.get((system, status), "SERVICE_UNAVAILABLE")
    if system == "salesforce":
        return json.dumps([{"message": message, "errorCode": code}]).encode()
    if system == "erp":
        from mocks.erp.errors import NetSuiteError

        return json.dumps(NetSuiteError(status, code, message).body()).encode()
    if system == "wms":
        from mocks.wms.errors import ShipBobError

        return json.dumps(ShipBobError(status, title=message).body()).encode()
    return json.dumps({"error": {"code": code, "message": message, "errors": []}}).encode()


def _json_headers(*extra: tuple[bytes, bytes]) -> tuple[tuple[bytes, bytes], ...]:
    return ((b"content-type", b"application/json"), *extra)


def _retry_after(world: World, sim_seconds: float) -> tuple[bytes, bytes]:
    """Retry-After is read by the SUT in wall seconds; at least one, as the header is whole seconds."""
    wall = world.clock.wall_seconds(sim_seconds) if not world.clock.virtual else sim_seconds
    return (b"retry-after", str(max(1, math.ceil(wall))).encode())


class ApiFault(Fault):
    def __init__(self, spec: FaultSpec, world: World, rng: random.Random) -> None:
        super().__init__(spec)
        self.world = world
        self.rng = rng
        self.probability = float(spec.params.get("probability", spec.params.get("rate", 1.0)))

    def decide(self, method: str, path: str, now: float) -> Action | None:
        raise NotImplementedError

    def _until_end(self, now: float) -> float:
        return self.world.clock.wall_seconds(max(self.spec.end - now, 0.0))


class Outage(ApiFault):
    def decide(self, method: str, path: str, now: float) -> Action | None:
        mode = str(self.spec.params.get("mode", "503"))
        if mode == "reset":
            return Reset()
        if mode == "hang":
            return Hang(self._until_end(now))
        status = int(mode) if mode.isdigit() else 503
        body = vendor_error(self.system, status, self.spec.params.get("code"), "Service unavailable for maintenance.")
        return Answer(status, body, _json_headers(_retry_after(self.world, self.spec.end - now)))


class Latency(ApiFault):
    def __init__(self, spec: FaultSpec, world: World, rng: random.Random) -> None:
        super().__init__(spec, world, rng)
        self.added = distribution(spec.params.get("by", "2s"))

    def decide(self, method: str, path: str, now: float) -> Action | None:
        return Wait(self.world.clock.wall_seconds(self.added.sample(self.rng)))


class Errors(ApiFault):
    def decide(self, method: str, path: str, now: float) -> Action | None:
        if self.rng.random() >= self.probability:
            return None
        status = int(self.spec.params.get("status", 500))
        body = vendor_error(self.system, status, self.spec.params.get("code"), "An unexpected error occurred.")
        return Answer(status, body, _json_headers())


_UNMETERED = {"salesforce": ("/services/oauth2/",), "erp": ("/services/rest/auth/",)}
"""Sign-ins the vendors do not count against the API allowance: Salesforce meters ``/services/data``
(what ``Sforce-Limit-Info`` counts), NetSuite's governance leaves its token endpoint out."""


class RateLimit(ApiFault):
    """At most ``requests`` per ``per`` (simulated) in the window; beyond, the vendor's refusal.

    Sign-ins are not metered (``_UNMETERED``): a throttled org still issues tokens.
    """

    def __init__(self, spec: FaultSpec, world: World, rng: random.Random) -> None:
        super().__init__(spec, world, rng)
        self.limit = int(spec.params.get("requests", 100))
        self.per = seconds(spec.params.get("per", "1m"))
        self._recent: deque[float] = deque()

    def decide(self, method: str, path: str, now: float) -> Action | None:
        if path.startswith(_UNMETERED.get(vendor_of(self.system), ())):
            return None
        while self._recent and self._recent[0] <= now - self.per:
            self._recent.popleft()
        if len(self._recent) < self.limit:
            self._recent.append(now)
            return None
        status = int(self.spec.params.get("status", 403 if self.system == "salesforce" else 429))
        message = "TotalRequests Limit exceeded." if self.system == "salesforce" else "Request Limit Exceeded"
        body = vendor_error(self.system, status, self.spec.params.get("code"), message)
        wait = self._recent[0] + self.per - now
        headers = [_retry_after(self.world, wait)]
        if self.system == "salesforce":
            # Salesforce reports usage on every answer, a refusal included: the allowance is spent.
            headers.append((b"sforce-limit-info", f"api-usage={self.limit}/{self.limit}".encode()))
        return Answer(status, body, _json_headers(*headers))


class LostAnswers(ApiFault):
    def decide(self, method: str, path: str, now: float) -> Action | None:
        if method not in WRITES or self.rng.random() >= self.probability:
            return None
        mode = str(self.spec.params.get("mode", "503"))
        return CommitThenFail(None if mode == "reset" else int(mode))


_KINDS: dict[str, type[ApiFault]] = {
    "outage": Outage,
    "latency": Latency,
    "errors": Errors,
    "rate_limit": RateLimit,
    "commit_then_fail": LostAnswers,
}


def _installer(kind: str) -> None:
    @register(kind)
    def _install(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
        fault = _KINDS[kind](spec, site.world, site.world.rng(f"fault.{index}.{kind}"))
        site.gates.setdefault(fault.system, []).append(fault)
        return fault


for _kind in _KINDS:
    _installer(_kind)
