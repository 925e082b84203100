"""Salesforce record ids: 3-character key prefix, pod, reserved digit, base-62 counter, checksum.

The 18-character form appends three characters that encode where the 15-character id has upper
case letters, so that case-insensitive tools can still tell ids apart.
"""

from __future__ import annotations

from collections import defaultdict

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Case": "500",
    "Order": "801",
    "OrderItem": "802",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "User": "005",
    "Organization": "00D",
    "ReturnOrder": "0RR",
    "ReturnOrderLineItem": "0RL",
    "QueryLocator": "01g",
}


def checksum(id15: str) -> str:
    """The three-character case-safe suffix of a 15-character id."""
    if len(id15) != 15:
        raise ValueError(f"not a 15-character id: {id15!r}")
    suffix = ""
    for chunk in range(3):
        flags = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                flags |= 1 << position
        suffix += _CHECKSUM[flags]
    return suffix


def to18(record_id: str) -> str:
    """Accept either form; answer the 18-character one."""
    if len(record_id) == 18:
        return record_id
    return record_id + checksum(record_id)


def is_valid(record_id: str) -> bool:
    if len(record_id) not in (15, 18) or any(c not in BASE62 for c in record_id):
        return False
    return len(record_id) == 15 or checksum(record_id[:15]) == record_id[15:]


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits.rjust(width, "0")


class IdMinter:
    """Mints ids per object in sequence, so the same run mints the same ids."""

    def __init__(self, pod: str = "5g") -> None:
        self.pod = pod
        self._counters: defaultdict[str, int] = defaultdict(lambda: 0x1A2B3C)

    def mint(self, sobject: str) -> str:
        prefix = KEY_PREFIXES[sobject]
        self._counters[sobject] += 1
        id15 = prefix + self.pod + "0" + _base62(self._counters[sobject], 9)
        return id15 + checksum(id15)
