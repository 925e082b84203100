"""Salesforce record ids: the case-safe checksum, the 15/18 forms and the minter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mocks.salesforce.ids import BASE62, KEY_PREFIXES, IdMinter, checksum, is_valid, to18

ID15 = st.text(alphabet=BASE62, min_size=15, max_size=15)


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [
        ("001D000000IRFma", "IAH"),  # the worked example Salesforce's documentation uses
        ("000000000000000", "AAA"),  # no upper case anywhere
        ("ZZZZZZZZZZZZZZZ", "555"),  # every position upper case: 0b11111 = 31 = '5'
        ("A0000a0000B0000", "BAB"),  # bit 0 in chunks 1 and 3 -> 'B'; a lower-case 'a' sets nothing
        ("0000Z00000000Z0", "QAI"),  # bit 4 -> 16 -> 'Q'; bit 3 -> 8 -> 'I'
    ],
)
def test_checksum_of_known_ids(id15: str, suffix: str) -> None:
    assert checksum(id15) == suffix
    assert to18(id15) == id15 + suffix
    assert is_valid(id15 + suffix)


@pytest.mark.parametrize("bad", ["", "001D000000IRFm", "001D000000IRFmaI", "001D000000IRFmaIAHX"])
def test_checksum_needs_exactly_15_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        checksum(bad)
    assert not is_valid(bad)


@pytest.mark.parametrize("bad", ["001D000000IRF-a", "001D000000IRFmaIA!", "001D000000IRFma IA"])
def test_ids_outside_base62_are_invalid(bad: str) -> None:
    assert not is_valid(bad)


def test_a_wrong_suffix_is_invalid() -> None:
    assert is_valid("001D000000IRFmaIAH")
    assert not is_valid("001D000000IRFmaIAG")
    assert not is_valid("001D000000IRFmaiah"), "the suffix itself is case-sensitive"


@given(ID15)
def test_to18_extends_idempotently(id15: str) -> None:
    id18 = to18(id15)
    assert len(id18) == 18
    assert id18[:15] == id15
    assert to18(id18) == id18
    assert is_valid(id15) and is_valid(id18)
    assert all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" for c in id18[15:])


@given(ID15, st.data())
def test_flipping_the_case_of_a_letter_breaks_the_18_character_form(id15: str, data: st.DataObject) -> None:
    letters = [i for i, c in enumerate(id15) if c.isalpha()]
    if not letters:
        id15 = "a" + id15[1:]
        letters = [0]
    position = data.draw(st.sampled_from(letters), label="position")
    flipped = id15[:position] + id15[position].swapcase() + id15[position + 1 :]
    original = to18(id15)
    tampered = flipped + original[15:]

    assert checksum(flipped) != checksum(id15), "each letter's case is one bit of its chunk's checksum character"
    assert not is_valid(tampered)
    assert is_valid(to18(flipped))
    assert to18(flipped).lower() != original.lower(), "the 18-character forms differ even case-insensitively"


@given(st.lists(st.sampled_from(sorted(KEY_PREFIXES)), min_size=1, max_size=300))
def test_minted_ids_are_valid_unique_and_prefixed(objects: list[str]) -> None:
    minter = IdMinter()
    minted = [(sobject, minter.mint(sobject)) for sobject in objects]

    for sobject, record_id in minted:
        assert len(record_id) == 18
        assert is_valid(record_id)
        assert record_id.startswith(KEY_PREFIXES[sobject])
        assert to18(record_id) == record_id
    ids = [record_id for _, record_id in minted]
    assert len(set(ids)) == len(ids)
    assert len({i.lower() for i in ids}) == len(ids), "18-character ids stay unique even case-insensitively"


def test_minting_is_deterministic_per_minter() -> None:
    sequence = ["Order", "OrderItem", "OrderItem", "Account", "Order"]
    first, second = IdMinter(), IdMinter()
    assert [first.mint(o) for o in sequence] == [second.mint(o) for o in sequence]


def test_key_prefixes_are_salesforces() -> None:
    assert KEY_PREFIXES == {
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
