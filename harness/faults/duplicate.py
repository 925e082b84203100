"""Duplicate deliveries on a webhook channel: the at-least-once reality of every vendor's webhooks."""

from __future__ import annotations

import random

from harness.faults import Fault, FaultSite, register
from harness.outbox import Message
from scenarios import FaultSpec, seconds


class DuplicateDeliveries(Fault):
    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        super().__init__(spec)
        self.system = spec.target.split(".")[0]
        self.probability = float(spec.params.get("probability", 1.0))
        self.copies = int(spec.params.get("copies", 1))
        self.spacing = seconds(spec.params.get("spacing", "5s"))
        self._rng = rng

    def plan(self, message: Message, now: float) -> list[float] | None:
        if message.system != self.system or not self.active(now):
            return None
        # One draw per message in the window, in publish order, which the workload fixes.
        if self._rng.random() >= self.probability:
            return None
        return [i * self.spacing for i in range(self.copies + 1)]

    def intercept(self, message: Message, attempt: int, now: float) -> str | None:
        return None


@register("duplicate")
def _install(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
    fault = DuplicateDeliveries(spec, site.world.rng(f"fault.{index}.duplicate"))
    site.outbox.add_shaper(fault)
    return fault
