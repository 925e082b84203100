"""What every mock system shares with the harness."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.types import ASGIApp

from harness.outbox import Outbox
from harness.recorder import Recorder
from harness.world import World


@dataclass(frozen=True, slots=True)
class MockContext:
    """The run's machinery a mock uses: time, its outbox channel and the recorder."""

    world: World
    outbox: Outbox
    recorder: Recorder

    def record(self, system: str, kind: str, business_key: str | None, payload: dict[str, Any]) -> None:
        """A domain event (an order activated, a record created), stamped with simulated time."""
        self.recorder.event(system, kind, business_key, payload, self.world.env.now)


class Mock(ABC):
    """A vendor-faithful HTTP API over its state, plus its behaviour over time and its events."""

    system: ClassVar[str]
    serves_https: ClassVar[bool] = False
    """Also serve HTTPS with the run's CA (for clients that only speak https, as simple-salesforce)."""

    def __init__(self, context: MockContext) -> None:
        self.context = context

    @abstractmethod
    def asgi_app(self) -> ASGIApp:
        """The vendor's HTTP surface over this mock's state."""

    @abstractmethod
    def sut_environment(self, base_url: str) -> dict[str, str]:
        """The variables a SUT needs to reach this mock (see contracts/sut-environment.md)."""

    @abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """The final state the checkers judge, as plain JSON."""
