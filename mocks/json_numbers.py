"""What the mocks accept as a number in a JSON body."""

from __future__ import annotations

import math
from typing import Any, TypeGuard


def finite(value: Any) -> TypeGuard[int | float]:
    """A JSON number a double can hold: not NaN or Infinity (which Python's parser lets through), and
    not an integer too large for a double (which would raise in the arithmetic that follows, a rate
    times a quantity or a roll-up, instead of answering 400)."""
    if not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
