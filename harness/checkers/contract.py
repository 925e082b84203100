"""Contract: every request the SUT sent a mock, every answer a mock gave, and every webhook a mock
delivered keeps the committed contracts (contracts/openapi/*.json, contracts/events/*.schema.json).

A mock tolerates some of what its vendor refuses, so a SUT can pass every other checker and still
send what the real system would reject; this checker is where that shows. Violations are grouped
by what broke (the side, the contract location): a count and three exchanges each.
"""

from __future__ import annotations

from collections import defaultdict

from harness.checkers import ALL_WORKFLOWS, CheckContext, Checker, Finding, register
from harness.contracts.traffic import Contracts, Violation
from harness.history import RecordedExchange
from harness.recorder import DIRECTION_TO_MOCK

EXAMPLES = 3


@register
class Contract(Checker):
    name = "contract"
    workflows = ALL_WORKFLOWS

    def check(self, context: CheckContext) -> list[Finding]:
        contracts = Contracts.committed()
        grouped: defaultdict[tuple[str, str, str], list[tuple[RecordedExchange, Violation]]] = defaultdict(list)
        for exchange in context.history.exchanges():
            for violation in contracts.judge(exchange):
                grouped[(exchange.system, violation.part, violation.schema_path)].append((exchange, violation))
        return [self._finding(system, part, where, cases) for (system, part, where), cases in grouped.items()]

    def _finding(self, system: str, part: str, where: str, cases: list[tuple[RecordedExchange, Violation]]) -> Finding:
        first_exchange, first = cases[0]
        who = "the SUT sent" if part == "request" else f"{system} answered" if part == "response" else f"{system} sent"
        examples = tuple(
            f"#{x.id} t={x.sim_time:.1f}s {x.method} {x.path}: {v.value} ({v.message})" for x, v in cases[:EXAMPLES]
        )
        keys = tuple(dict.fromkeys(k for x, _ in cases[:EXAMPLES] for k in x.business_keys[:1] or (x.path,)))
        sender = "sut" if first_exchange.direction == DIRECTION_TO_MOCK and part == "request" else system
        return Finding(
            self.name,
            f"{part}s keep the {system} contract",
            f"{who} {len(cases)} {part}(s) that break {where}: {first.message}",
            keys,
            {sender: f"{len(cases)} violation(s), e.g. {first.value}", "contract": where},
            examples,
        )
