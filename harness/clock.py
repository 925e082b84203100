"""Simulated time and how it maps to wall time.

Targets are computed from one fixed origin (``wall_at``), never by adding up sleeps, so lateness
of one wake-up does not carry over to the next: drift cannot grow with the length of a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

DEFAULT_EPOCH = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
"""Simulated time 0 as a calendar date: the morning of a Black Friday."""


class Clock:
    """Maps simulated seconds to wall seconds by a compression factor.

    ``speed=60`` runs one simulated minute per wall second. ``speed=None`` is *virtual* time: no
    wall clock at all, the World jumps from event to event as fast as SimPy can.
    """

    def __init__(
        self,
        speed: float | None,
        *,
        epoch: datetime = DEFAULT_EPOCH,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self.epoch = epoch
        self._timer = timer
        self._wall0: float | None = None
        self._sim0 = 0.0

    @property
    def virtual(self) -> bool:
        return self.speed is None

    @property
    def started(self) -> bool:
        return self._wall0 is not None

    def start(self, sim0: float = 0.0) -> None:
        """Pin simulated ``sim0`` to the wall clock's present."""
        self._wall0 = self._timer()
        self._sim0 = sim0

    def wall_at(self, sim_t: float) -> float:
        """The wall (monotonic) time at which simulated ``sim_t`` is due."""
        wall0, speed = self._scaled()
        return wall0 + (sim_t - self._sim0) / speed

    def sim_at(self, wall_t: float) -> float:
        """The simulated time that wall (monotonic) ``wall_t`` stands for."""
        wall0, speed = self._scaled()
        return self._sim0 + (wall_t - wall0) * speed

    def now(self) -> float:
        """Simulated time now, as the wall clock says."""
        return self.sim_at(self._timer())

    def wall_seconds(self, sim_seconds: float) -> float:
        """How long a simulated span lasts on the wall clock (0 in virtual time)."""
        return 0.0 if self.speed is None else sim_seconds / self.speed

    def sim_seconds(self, wall_seconds: float) -> float:
        """How much simulated time a wall span stands for (undefined in virtual time: 0)."""
        return 0.0 if self.speed is None else wall_seconds * self.speed

    def datetime_at(self, sim_t: float) -> datetime:
        """Simulated time as the calendar date the mocks stamp on records."""
        return self.epoch + timedelta(seconds=sim_t)

    def _scaled(self) -> tuple[float, float]:
        if self.speed is None:
            raise RuntimeError("a virtual clock has no wall time")
        if self._wall0 is None:
            raise RuntimeError("the clock has not been started")
        return self._wall0, self.speed
