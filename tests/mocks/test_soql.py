"""The SOQL subset: parsing round trips, and results equal a plain reference filter over the same rows.

The reference filter below is written straight from SOQL's documented semantics (case-insensitive
text, ``!=`` and ``NOT IN`` matching nulls, ``LIKE`` wildcards, date literals as day ranges) and
shares no code with the mock's evaluator.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mocks.salesforce.soql import (
    Comparison,
    Condition,
    DateLiteral,
    Junction,
    Like,
    Membership,
    Not,
    Ordering,
    Path,
    Query,
    Runner,
    compile_query,
    parse,
    render,
)
from mocks.salesforce.state import SalesforceState

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
NAMES = ["Alpine Pack", "alpine boots", "Harbour Tee", "Trail 50%", "Quartz_Mug", "O'Neil Scarf"]
SKUS = ["SKU-1", "SKU-2", "SKU-3", "sku-4"]

# -- a small catalogue with every kind of value, modified over several days --------------------------


def catalogue() -> SalesforceState:
    moments = iter(NOW - timedelta(days=d, hours=h) for d in range(12) for h in (0, 9, 17))
    stamp = [NOW]
    state = SalesforceState(lambda: stamp[0])
    for index in range(30):
        stamp[0] = next(moments)
        state.create(
            "Product2",
            {
                "Name": NAMES[index % len(NAMES)] + ("" if index < 6 else f" {index}"),
                "SKU__c": None if index % 7 == 3 else f"{SKUS[index % len(SKUS)]}-{index}",
                "IsActive": index % 3 != 0,
                "Weight_oz__c": None if index % 5 == 0 else float(index % 9) * 1.5,
                "Available_Quantity__c": float(index * 4 % 11),
            },
        )
    stamp[0] = NOW
    return state


STATE = catalogue()
ROWS = list(STATE.records["Product2"].values())

# -- strategies over Product2's fields --------------------------------------------------------------

TEXT = st.sampled_from(["Name", "SKU__c", "ProductCode"])
NUMBER = st.sampled_from(["Weight_oz__c", "Available_Quantity__c"])
MOMENT = st.sampled_from(["LastModifiedDate", "SystemModstamp", "CreatedDate"])
OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
text_values = st.sampled_from([*NAMES, "alpine pack", "SKU-1-0", "", "zzz"]) | st.text(
    alphabet="abAB _%'\\-", max_size=6
)
number_values = st.sampled_from([0, 1.5, 3, 4.5, 7.0, 10, 12.0]) | st.integers(-2, 15)
literals = st.builds(DateLiteral, st.sampled_from(["TODAY", "YESTERDAY", "THIS_WEEK", "LAST_WEEK", "THIS_MONTH"])) | (
    st.builds(DateLiteral, st.sampled_from(["LAST_N_DAYS", "N_DAYS_AGO", "NEXT_N_DAYS"]), st.integers(1, 14))
)
moments = st.builds(lambda h: NOW - timedelta(hours=h), st.integers(0, 300)) | literals


def path(field: str) -> Path:
    return Path((field,))


comparisons = st.one_of(
    st.builds(lambda f, op, v: Comparison(path(f), op, v), TEXT, OPS, text_values),
    st.builds(lambda f, op, v: Comparison(path(f), op, v), NUMBER, OPS, number_values),
    st.builds(lambda f, op, v: Comparison(path(f), op, v), MOMENT, OPS, moments),
    st.builds(lambda f, op: Comparison(path(f), op, None), TEXT | NUMBER, st.sampled_from(["=", "!="])),
    st.builds(lambda v: Comparison(path("IsActive"), "=", v), st.booleans()),
    st.builds(
        lambda f, vs, neg: Membership(path(f), tuple(vs), neg),
        TEXT,
        st.lists(text_values, min_size=1, max_size=3),
        st.booleans(),
    ),
    st.builds(
        lambda f, p: Like(path(f), p), TEXT, st.sampled_from(["alp%", "%tee", "%\\%%", "Quartz\\_%", "_arb%", "%"])
    ),
)


def junctions(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    return st.one_of(
        st.builds(
            lambda op, cs: Junction(op, tuple(cs)),
            st.sampled_from(["AND", "OR"]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(Not, children),
    )


conditions = st.recursive(comparisons, junctions, max_leaves=6)
orderings = st.lists(
    st.builds(Ordering, st.builds(path, TEXT | NUMBER | MOMENT | st.just("IsActive")), st.booleans(), st.booleans()),
    max_size=2,
    unique_by=lambda o: o.path,
)
queries = st.builds(
    Query,
    st.just("Product2"),
    st.lists(st.builds(path, TEXT | NUMBER | MOMENT | st.just("Id")), min_size=1, max_size=4, unique=True).map(tuple),
    st.none() | conditions,
    orderings.map(tuple),
    st.none() | st.integers(0, 40),
    st.none() | st.integers(0, 10),
)

# -- the reference filter ---------------------------------------------------------------------------

TYPES = {"Weight_oz__c": "number", "Available_Quantity__c": "number", "IsActive": "boolean"}


def moment(stored: str) -> datetime:
    return datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%f%z")


def day_span(literal: DateLiteral) -> tuple[datetime, datetime]:
    midnight = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
    one = timedelta(days=1)
    sunday = midnight - timedelta(days=(NOW.weekday() + 1) % 7)
    first = midnight.replace(day=1)
    n = literal.n or 0
    return {
        "TODAY": (midnight, midnight + one),
        "YESTERDAY": (midnight - one, midnight),
        "THIS_WEEK": (sunday, sunday + 7 * one),
        "LAST_WEEK": (sunday - 7 * one, sunday),
        "THIS_MONTH": (first, datetime(NOW.year, NOW.month + 1, 1, tzinfo=UTC)),
        "LAST_N_DAYS": (midnight - n * one, midnight + one),
        "N_DAYS_AGO": (midnight - n * one, midnight - (n - 1) * one),
        "NEXT_N_DAYS": (midnight + one, midnight + (n + 1) * one),
    }[literal.name]


def reference_holds(row: dict[str, Any], condition: Condition) -> bool:
    if isinstance(condition, Junction):
        outcomes = [reference_holds(row, c) for c in condition.conditions]
        return all(outcomes) if condition.op == "AND" else any(outcomes)
    if isinstance(condition, Not):
        return not reference_holds(row, condition.condition)
    value = row[condition.path.names[0]]
    if isinstance(condition, Like):
        if value is None:
            return False
        pattern = "".join(
            re.escape(part[1])
            if part.startswith("\\")
            else ".*"
            if part == "%"
            else "."
            if part == "_"
            else re.escape(part)
            for part in re.findall(r"\\.|.", condition.pattern, re.DOTALL)
        )
        return re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL) is not None
    if isinstance(condition, Membership):
        inside = value is not None and value.casefold() in {v.casefold() for v in condition.values}  # type: ignore[union-attr]
        return inside != condition.negated
    literal, op = condition.value, condition.op
    if literal is None:
        return (value is None) == (op == "=")
    if value is None:
        return op == "!="
    if isinstance(literal, DateLiteral):
        start, end = day_span(literal)
        at = moment(value)
        return {
            "=": start <= at < end,
            "!=": not start <= at < end,
            "<": at < start,
            "<=": at < end,
            ">": at >= end,
            ">=": at >= start,
        }[op]
    if isinstance(literal, datetime):
        left: Any = moment(value)
        right: Any = literal
    elif isinstance(literal, str):
        left, right = value.casefold(), literal.casefold()
    else:
        left, right = value, literal
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def reference_sort_key(row: dict[str, Any], ordering: Ordering) -> tuple[bool, Any]:
    value = row[ordering.path.names[0]]
    if ordering.path.names[0] in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        value = None if value is None else moment(value)
    elif isinstance(value, str):
        value = value.casefold()
    return (value is None, value) if value is not None else (True, 0)


def reference(query: Query) -> list[str]:
    found = [r for r in ROWS if query.where is None or reference_holds(r, query.where)]
    for ordering in reversed(query.order_by):
        present = [r for r in found if r[ordering.path.names[0]] is not None]
        absent = [r for r in found if r[ordering.path.names[0]] is None]
        present.sort(key=lambda r, o=ordering: reference_sort_key(r, o)[1], reverse=ordering.descending)
        found = present + absent if ordering.nulls_last else absent + present
    start = query.offset or 0
    end = None if query.limit is None else start + query.limit
    return [r["Id"] for r in found[start:end]]


# -- properties ---------------------------------------------------------------------------------------


@given(queries)
def test_rendered_queries_parse_back_to_the_same_query(query: Query) -> None:
    assert parse(render(query)) == query


@settings(max_examples=300)
@given(queries)
def test_results_equal_the_reference_filter(query: Query) -> None:
    plan = compile_query(render(query))
    runner = Runner(plan, NOW, STATE.parent)
    assert [r["Id"] for r in runner.run(ROWS)] == reference(query)


KEYWORD = re.compile(r"\b(SELECT|FROM|WHERE|AND|OR|NOT|IN|LIKE|ORDER BY|LIMIT|OFFSET|ASC|DESC|NULLS)\b")


@given(queries)
def test_spacing_and_keyword_case_do_not_matter(query: Query) -> None:
    parts = re.split(r"('(?:[^'\\]|\\.)*')", render(query))  # odd parts are string literals: left alone
    loosened = "".join(
        part if index % 2 else KEYWORD.sub(lambda m: m.group(1).lower(), part).replace(" ", "  ").replace(",", ",\n")
        for index, part in enumerate(parts)
    )
    assert parse(loosened) == query


def test_the_fixture_covers_nulls_and_several_days() -> None:
    assert any(r["SKU__c"] is None for r in ROWS) and any(r["Weight_oz__c"] is None for r in ROWS)
    assert len({r["LastModifiedDate"][:10] for r in ROWS}) >= 10
    assert date.fromisoformat(ROWS[0]["LastModifiedDate"][:10]) == NOW.date()
