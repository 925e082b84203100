"""Random durations in scenario files: a fixed duration, or a distribution with durations as parameters.

``2s`` | ``{uniform: [1s, 5s]}`` | ``{exponential: 30s}`` (the mean) | ``{normal: [10m, 2m]}`` (mean and
standard deviation; never below zero).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from scenarios import ScenarioError, seconds

SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"$ref": "#/$defs/duration"},
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "uniform": {"type": "array", "items": {"$ref": "#/$defs/duration"}, "minItems": 2, "maxItems": 2},
                "exponential": {"$ref": "#/$defs/duration"},
                "normal": {"type": "array", "items": {"$ref": "#/$defs/duration"}, "minItems": 2, "maxItems": 2},
            },
        },
    ]
}


@dataclass(frozen=True, slots=True)
class Distribution:
    kind: str
    a: float
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "exponential":
            return rng.expovariate(1 / self.a) if self.a > 0 else 0.0
        return max(rng.gauss(self.a, self.b), 0.0)

    @property
    def mean(self) -> float:
        return (self.a + self.b) / 2 if self.kind == "uniform" else self.a


def distribution(value: Any) -> Distribution:
    if isinstance(value, int | float | str):
        return Distribution("fixed", seconds(value))
    if isinstance(value, dict) and len(value) == 1:
        kind, raw = next(iter(value.items()))
        if kind == "exponential":
            return Distribution(kind, seconds(raw))
        if kind in ("uniform", "normal") and isinstance(raw, list) and len(raw) == 2:
            low, high = seconds(raw[0]), seconds(raw[1])
            if kind == "uniform" and low > high:
                raise ScenarioError(f"uniform [{raw[0]}, {raw[1]}]: the low end is above the high end")
            return Distribution(kind, low, high)
    raise ScenarioError(f"not a duration or distribution: {value!r}")
