"""An ERP cutover as the world lives it: at its instant the legacy account is retired for new sales
orders and hands its uncommitted stock to its successor.

Only the instant is the harness's: which ERP takes an order, and where an order booked before it
is fulfilled and invoiced, is the integration's to get right (the legacy account goes on serving
everything but new sales orders).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from harness.world import World
from mocks.base import MockContext
from mocks.erp import ErpMock
from scenarios import CutoverSpec

SUCCESSOR_NUMBERING = 1_000_000
"""Where the successor account's internal ids and document numbers start (``SO1001001``...): far past
anything the legacy account numbers in a rehearsal, as a cutover configures the new account."""


class Cutover:
    def __init__(self, spec: CutoverSpec, context: MockContext, legacy: ErpMock, successor: ErpMock) -> None:
        self.spec = spec
        self.context = context
        self.legacy = legacy
        self.successor = successor

    @property
    def world(self) -> World:
        return self.context.world

    def run(self) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(self.spec.at)
        moved = self.legacy.hand_over_to(self.successor)
        self.context.record(
            "harness",
            "erp.cutover",
            None,
            {"from": self.legacy.system, "to": self.successor.system, "stock_moved": moved},
        )
