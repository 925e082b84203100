"""The nemesis: scheduled disturbances of a mock's API or of a webhook channel.

Each fault kind is a small module registered under its name; ``install`` turns a scenario's fault
into a live object and records its window in the History, so reports can shade it. Targets are a
system (``erp``: its HTTP API, through the fault gate) or its channel (``erp.webhooks``: deliveries
to the SUT, through the outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.outbox import Outbox
from harness.recorder import Recorder
from harness.world import World
from scenarios import FaultSpec


@dataclass(frozen=True, slots=True)
class FaultSite:
    """Where faults attach: the world for time and randomness, the outbox for channels, the gates for APIs."""

    world: World
    outbox: Outbox
    recorder: Recorder
    gates: dict[str, list[Fault]] = field(default_factory=dict)


class Fault:
    """A live fault: active inside its window until healed."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self.system = spec.target.split(".")[0]
        self.healed = False

    def active(self, now: float) -> bool:
        return not self.healed and self.spec.start <= now < self.spec.end

    def heal(self) -> None:
        self.healed = True


Installer = Callable[[FaultSpec, int, FaultSite], Fault]
_REGISTRY: dict[str, Installer] = {}


def register(kind: str) -> Callable[[Installer], Installer]:
    def remember(installer: Installer) -> Installer:
        _REGISTRY[kind] = installer
        return installer

    return remember


def install(specs: tuple[FaultSpec, ...], site: FaultSite) -> list[Fault]:
    from harness.faults import api, channel  # noqa: F401  (they register themselves)

    faults = []
    for index, spec in enumerate(specs):
        faults.append(_REGISTRY[spec.kind](spec, index, site))
        site.recorder.fault(spec.target, spec.kind, spec.start, spec.end, spec.params)
    return faults
