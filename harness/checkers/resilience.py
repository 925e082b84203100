"""Resilience: the SUT answers valid webhooks without 5xx, and no delivery runs out of retries."""

from __future__ import annotations

from collections import defaultdict

from harness.checkers import ALL_WORKFLOWS, CheckContext, Checker, Finding, register
from harness.recorder import DIRECTION_TO_SUT


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
        return findings

    def measure(self, context: CheckContext) -> dict[str, int]:
        answers = [x.status for x in context.history.exchanges(direction=DIRECTION_TO_SUT)]
        return {
            "webhook_answers_5xx": sum(1 for s in answers if s is not None and s >= 500),
            "webhook_answers_4xx": sum(1 for s in answers if s is not None and 400 <= s < 500),
            "webhook_no_answer": sum(1 for s in answers if s is None),
        }
