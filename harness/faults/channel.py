"""Faults on a webhook channel: what every vendor's at-least-once delivery does at its worst.

Each draws from its own random stream, once per message in its window, in publish order, which
the workload fixes: the delivery schedule is the seed's, whatever the SUT answers.
"""

from __future__ import annotations

import random

from harness.faults import Fault, FaultSite, register
from harness.outbox import Message
from scenarios import FaultSpec, seconds
from scenarios.distributions import Distribution, distribution


class ChannelFault(Fault):
    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        super().__init__(spec)
        self.probability = float(spec.params.get("probability", 1.0))
        self._rng = rng

    def _hits(self, message: Message, now: float) -> bool:
        return message.system == self.system and self.active(now) and self._rng.random() < self.probability

    def plan(self, message: Message, now: float, offsets: list[float]) -> list[float]:
        return offsets

    def intercept(self, message: Message, attempt: int, now: float) -> str | None:
        return None


class DuplicateDeliveries(ChannelFault):
    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        super().__init__(spec, rng)
        self.copies = int(spec.params.get("copies", 1))
        self.spacing = seconds(spec.params.get("spacing", "5s"))

    def plan(self, message: Message, now: float, offsets: list[float]) -> list[float]:
        if not self._hits(message, now):
            return offsets
        return [at + i * self.spacing for at in offsets for i in range(self.copies + 1)]


class DelayedDeliveries(ChannelFault):
    def __init__(self, spec: FaultSpec, rng: random.Random, wait: Distribution) -> None:
        super().__init__(spec, rng)
        self.wait = wait

    def plan(self, message: Message, now: float, offsets: list[float]) -> list[float]:
        if not self._hits(message, now):
            return offsets
        extra = self.wait.sample(self._rng)
        return [at + extra for at in offsets]


class DroppedDeliveries(ChannelFault):
    """The first attempts of a hit message fail as if the SUT were unreachable; the vendor retries."""

    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        super().__init__(spec, rng)
        self.attempts = int(spec.params.get("attempts", 1))
        self._dropped: set[str] = set()

    def plan(self, message: Message, now: float, offsets: list[float]) -> list[float]:
        if self._hits(message, now):
            self._dropped.add(message.event_id)
        return offsets

    def intercept(self, message: Message, attempt: int, now: float) -> str | None:
        if message.event_id in self._dropped and attempt <= self.attempts:
            return f"dropped by fault (attempt {attempt} of {self.attempts} lost)"
        return None


@register("duplicate")
def _duplicate(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
    fault = DuplicateDeliveries(spec, site.world.rng(f"fault.{index}.duplicate"))
    site.outbox.add_shaper(fault)
    return fault


@register("delay")
def _delay(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
    fault = DelayedDeliveries(spec, site.world.rng(f"fault.{index}.delay"), distribution(spec.params.get("by", "1m")))
    site.outbox.add_shaper(fault)
    return fault


@register("reorder")
def _reorder(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
    """Each message is held a random time within the window, so later ones overtake earlier ones."""
    window = seconds(spec.params.get("window", "2m"))
    rng = site.world.rng(f"fault.{index}.reorder")
    fault = DelayedDeliveries(spec, rng, Distribution("uniform", 0.0, window))
    site.outbox.add_shaper(fault)
    return fault


@register("drop")
def _drop(spec: FaultSpec, index: int, site: FaultSite) -> Fault:
    fault = DroppedDeliveries(spec, site.world.rng(f"fault.{index}.drop"))
    site.outbox.add_shaper(fault)
    return fault
