"""The nemesis: scheduled disturbances of a mock or of a webhook channel.

Each fault kind is a small module registered under its name; ``install`` turns a scenario's fault
into a live object and records its window in the History, so reports can shade it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.outbox import Outbox
from harness.recorder import Recorder
from harness.world import World
from scenarios import FaultSpec


@dataclass(frozen=True, slots=True)
class FaultSite:
    """Where faults attach: the world for randomness and time, the outbox for webhook channels."""

    world: World
    outbox: Outbox
    recorder: Recorder


class Fault:
    """A live fault: active inside its window until healed."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
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
    from harness.faults import duplicate  # noqa: F401  (registers itself)

    faults = []
    for index, spec in enumerate(specs):
        installer = _REGISTRY.get(spec.kind)
        if installer is None:
            raise ValueError(f"fault kind {spec.kind!r} is not available (known: {', '.join(sorted(_REGISTRY))})")
        faults.append(installer(spec, index, site))
        site.recorder.fault(spec.target, spec.kind, spec.start, spec.end, spec.params)
    return faults
