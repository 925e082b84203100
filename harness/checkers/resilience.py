"""Resilience: the SUT answers valid webhooks without 5xx, no delivery runs out of retries, and a
system that rate-limits the SUT is given the pause it asked for."""

from __future__ import annotations

from collections import defaultdict

from harness.checkers import ALL_WORKFLOWS, CheckContext, Checker, Finding, register
from harness.checkers.rate_limits import HAMMER_COUNT, HAMMER_WINDOW, hammered, is_rate_limited, sent_during_holds
from harness.history import RecordedExchange
from harness.recorder import DIRECTION_TO_MOCK, DIRECTION_TO_SUT

_KEYS_SHOWN = 20


@register
class Resilience(Checker):
    name = "resilience"
    workflows = ALL_WORKFLOWS

    def check(self, context: CheckContext) -> list[Finding]:
        findings = []
        server_errors: defaultdict[str, list[str]] = defaultdict(list)
        for exchange in context.history.exchanges(direction=DIRECTION_TO_SUT):
            if exchange.status is not None and exchange.status >= 500 and exchange.correlation_id:
                server_errors[exchange.correlation_id].append(exchange.line())
        for event_id, lines in server_errors.items():
            findings.append(
                Finding(
                    self.name,
                    "the SUT answers valid webhooks without 5xx",
                    f"event {event_id} was answered with a server error {len(lines)} time(s)",
                    (event_id,),
                    {"sut": f"{len(lines)} server error(s)"},
                    tuple(lines[:6]),
                )
            )
        for event in context.history.events(kind="outbox.exhausted"):
            key = event.business_key or "?"
            findings.append(
                Finding(
                    self.name,
                    "every webhook is delivered within the vendor's retry schedule",
                    f"{event.system} event {key} was never accepted by the SUT; the vendor gave up at "
                    f"t={event.sim_time:.0f}s",
                    (key,),
                    {event.system: "gave up delivering", "sut": "never answered 2xx"},
                    context.trace(key),
                )
            )
        return findings + self._rate_limits_respected(context)

    def _rate_limits_respected(self, context: CheckContext) -> list[Finding]:
        findings = []
        refused = {
            (x.system, x.method, x.path)
            for x in context.history.exchanges(direction=DIRECTION_TO_MOCK)
            if is_rate_limited(x)
        }
        calls: defaultdict[str, list[RecordedExchange]] = defaultdict(list)
        for exchange in context.history.exchanges(direction=DIRECTION_TO_MOCK):
            if (exchange.system, exchange.method, exchange.path) in refused:  # only these can break either rule
                calls[exchange.system].append(exchange)
        for system, exchanges in sorted(calls.items()):
            exchanges.sort(key=lambda x: x.wall_time)
            broken = sent_during_holds(exchanges)
            if broken:
                keys = sorted({x.correlation_id or x.path for x, _ in broken})
                refusals = {hold.refusal.id for _, hold in broken}
                first, hold = broken[0]
                findings.append(
                    Finding(
                        self.name,
                        "the SUT waits out a rate limit's Retry-After",
                        f"{len(broken)} request(s) to {system} were sent before the Retry-After of"
                        f" {len(refusals)} rate-limit refusal(s) had passed",
                        tuple(keys[:_KEYS_SHOWN]),
                        {
                            system: f"refused with Retry-After {hold.refusal.response_header('retry-after')}s",
                            "sut": f"sent again {first.wall_time - hold.start:.2f}s after the refusal",
                        },
                        (hold.refusal.line(), *(x.line() for x, _ in broken[:5])),
                    )
                )
            for run in hammered(exchanges):
                findings.append(
                    Finding(
                        self.name,
                        "the SUT backs off when rate-limited",
                        f"{run[0].method} {run[0].path} was refused {len(run)} times by {system} within"
                        f" {HAMMER_WINDOW:g}s (more than {HAMMER_COUNT}): retried at once instead of backing off",
                        (run[0].correlation_id or run[0].path,),
                        {system: f"{len(run)} rate-limit refusals", "sut": "kept sending the same request"},
                        tuple(x.line() for x in run[:6]),
                    )
                )
        return findings

    def measure(self, context: CheckContext) -> dict[str, int]:
        answers = [x.status for x in context.history.exchanges(direction=DIRECTION_TO_SUT)]
        return {
            "webhook_answers_5xx": sum(1 for s in answers if s is not None and s >= 500),
            "webhook_answers_4xx": sum(1 for s in answers if s is not None and 400 <= s < 500),
            "webhook_no_answer": sum(1 for s in answers if s is None),
            "rate_limit_refusals": sum(
                1 for x in context.history.exchanges(direction=DIRECTION_TO_MOCK) if is_rate_limited(x)
            ),
        }
