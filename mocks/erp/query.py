"""The two ways to find records: a collection's ``q`` filter and a SuiteQL subset.

Both are parsed by a small tokenizer and recursive-descent parsers into predicates over flat rows
(see :func:`mocks.erp.records.row`), so an integration can find orders by external id or changed
since a time, and gets NetSuite's "Invalid search query" error for anything else.

``q`` (record collection filtering): ``field OPERATOR value`` conditions joined by ``AND`` / ``OR``
with parentheses; operators by field type as NetSuite lists them (``IS``, ``START_WITH``,
``CONTAIN``, ``EMPTY``, ``EQUAL``, ``GREATER``..., ``ANY_OF``, ``BETWEEN``, ``AFTER``, ``BEFORE``,
``ON``, ``ON_OR_AFTER``, ``ON_OR_BEFORE``, each with its ``_NOT``).

SuiteQL: ``SELECT [TOP n] columns | * FROM transaction|customer|item|location|inventoryitemlocations [alias] [WHERE ...]
[ORDER BY col [ASC|DESC], ...]`` with ``= != <> < <= > >=``, ``[NOT] IN (...)``, ``[NOT] LIKE``,
``IS [NOT] NULL``, ``BETWEEN``, ``AND``/``OR``/``NOT``, and the functions ``TO_DATE``,
``TO_TIMESTAMP``, ``UPPER``, ``LOWER`` and ``BUILTIN.DF``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mocks.erp.errors import NetSuiteError

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><>|!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\*|\.)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """``string``, ``number``, ``op``, ``word`` or ``end``."""
    text: str
    value: Any


def invalid_query(detail: str) -> NetSuiteError:
    return NetSuiteError(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. Search error occurred: {detail}",
    )


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_query(f"Unexpected character at position {position}: {text[position : position + 10]!r}.")
        position = match.end()
        kind = match.lastgroup or "op"
        raw = match.group(kind)
        value: Any = raw
        if kind == "string":
            value = raw[1:-1].replace("''", "'") if raw[0] == "'" else re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "number":
            value = float(raw)
        tokens.append(Token(kind, raw, value))
    tokens.append(Token("end", "", None))
    return tokens


class _Cursor:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "end":
            self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        """Consume the keyword sequence when it comes next (case-insensitive)."""
        for offset, word in enumerate(words):
            token = self.tokens[min(self.at + offset, len(self.tokens) - 1)]
            if token.kind != "word" or token.text.upper() != word:
                return False
        self.at += len(words)
        return True

    def expect_op(self, op: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != op:
            raise invalid_query(f"Expected '{op}' but found {token.text or 'the end of the query'!r}.")


def parse_datetime(value: Any) -> datetime | None:
    """ISO dates and datetimes, and NetSuite's default ``M/D/YYYY`` date format."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for layout in ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- q: record collection filtering ---------------------------------------------------------------------

DATE_FIELDS = frozenset({"lastModifiedDate", "createdDate", "dateCreated", "tranDate"})
NUMBER_FIELDS = frozenset({"id", "total"})
_STRING_OPS = {"IS", "START_WITH", "CONTAIN", "END_WITH", "ENDWITH", "EMPTY"}
_NUMBER_OPS = {"EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "ANY_OF", "BETWEEN", "EMPTY"}
_DATE_OPS = {"AFTER", "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN", "EMPTY"}


def parse_filter(text: str, fields: frozenset[str], record_type: str) -> Predicate:
    cursor = _Cursor(tokenize(text))
    predicate = _q_or(cursor, fields, record_type)
    if cursor.peek.kind != "end":
        raise invalid_query(f"Unexpected {cursor.peek.text!r} after a complete condition.")
    return predicate


def _q_or(cursor: _Cursor, fields: frozenset[str], record_type: str) -> Predicate:
    parts = [_q_and(cursor, fields, record_type)]
    while cursor.keyword("OR"):
        parts.append(_q_and(cursor, fields, record_type))
    return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))


def _q_and(cursor: _Cursor, fields: frozenset[str], record_type: str) -> Predicate:
    parts = [_q_factor(cursor, fields, record_type)]
    while cursor.keyword("AND"):
        parts.append(_q_factor(cursor, fields, record_type))
    return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))


def _q_factor(cursor: _Cursor, fields: frozenset[str], record_type: str) -> Predicate:
    if cursor.peek.kind == "op" and cursor.peek.text == "(":
        cursor.take()
        inner = _q_or(cursor, fields, record_type)
        cursor.expect_op(")")
        return inner
    name = cursor.take()
    if name.kind != "word":
        raise invalid_query(f"Expected a field name but found {name.text or 'the end of the query'!r}.")
    if name.text not in fields:
        raise invalid_query(f"Field '{name.text}' for record '{record_type}' was not found.")
    operator = cursor.take()
    if operator.kind != "word":
        raise invalid_query(f"Expected an operator after {name.text} but found {operator.text!r}.")
    op = operator.text.upper()
    negate = op.endswith("_NOT")
    base = op.removesuffix("_NOT")
    allowed = _DATE_OPS if name.text in DATE_FIELDS else _NUMBER_OPS if name.text in NUMBER_FIELDS else _STRING_OPS
    if base not in allowed:
        raise invalid_query(f"Operator {op} is not valid for field {name.text}.")
    values = _q_values(cursor, base)
    test = _q_test(name.text, base, values)
    return (lambda row: not test(row)) if negate else test


def _q_values(cursor: _Cursor, op: str) -> list[Any]:
    if op == "EMPTY":
        return []
    if cursor.peek.kind == "op" and cursor.peek.text == "[":
        cursor.take()
        values = [_q_value(cursor)]
        while cursor.peek.kind == "op" and cursor.peek.text == ",":
            cursor.take()
            values.append(_q_value(cursor))
        cursor.expect_op("]")
        return values
    values = [_q_value(cursor)]
    if op in ("BETWEEN", "WITHIN"):
        values.append(_q_value(cursor))
    return values


def _q_value(cursor: _Cursor) -> Any:
    token = cursor.take()
    if token.kind in ("string", "number"):
        return token.value
    if token.kind == "word" and token.text.upper() not in ("AND", "OR"):
        return token.text
    raise invalid_query(f"Expected a value but found {token.text or 'the end of the query'!r}.")


def _q_test(name: str, op: str, values: list[Any]) -> Predicate:
    if op == "EMPTY":
        return lambda row: row.get(name) in (None, "")
    if name in DATE_FIELDS:
        moments = [parse_datetime(v) for v in values]
        if any(m is None for m in moments):
            raise invalid_query(f"Invalid date value for {name}: {values!r}.")
        date_only = [isinstance(v, str) and len(v.strip()) <= 10 for v in values]
        low = moments[0]
        assert low is not None

        def field_value(row: Row) -> datetime | None:
            return parse_datetime(row.get(name))

        def compare(row: Row) -> bool:
            held = field_value(row)
            if held is None:
                return False
            left = held.date() if date_only[0] else held
            right: Any = low.date() if date_only[0] else low
            if op == "AFTER":
                return bool(left > right)
            if op == "BEFORE":
                return bool(left < right)
            if op == "ON":
                return held.date() == low.date()
            if op == "ON_OR_AFTER":
                return bool(left >= right)
            if op == "ON_OR_BEFORE":
                return bool(left <= right)
            high = moments[1]
            assert high is not None
            return low <= held <= high

        return compare
    if name in NUMBER_FIELDS:
        try:
            numbers = [float(v) for v in values]
        except ValueError as exc:
            raise invalid_query(f"Invalid number for {name}: {values!r}.") from exc

        def number(row: Row) -> float | None:
            held = row.get(name)
            return None if held is None else float(held)

        tests: dict[str, Callable[[float], bool]] = {
            "EQUAL": lambda v: v == numbers[0],
            "GREATER": lambda v: v > numbers[0],
            "GREATER_OR_EQUAL": lambda v: v >= numbers[0],
            "LESS": lambda v: v < numbers[0],
            "LESS_OR_EQUAL": lambda v: v <= numbers[0],
            "ANY_OF": lambda v: v in numbers,
            "BETWEEN": lambda v: numbers[0] <= v <= numbers[-1],
        }
        check = tests[op]
        return lambda row: (held := number(row)) is not None and check(held)
    texts = [str(v).lower() for v in values]

    def text(row: Row) -> str | None:
        held = row.get(name)
        return None if held is None else str(held).lower()

    string_tests: dict[str, Callable[[str], bool]] = {
        "IS": lambda v: v == texts[0],
        "START_WITH": lambda v: v.startswith(texts[0]),
        "CONTAIN": lambda v: texts[0] in v,
        "END_WITH": lambda v: v.endswith(texts[0]),
        "ENDWITH": lambda v: v.endswith(texts[0]),
    }
    string_check = string_tests[op]
    return lambda row: (held := text(row)) is not None and string_check(held)


# -- SuiteQL ------------------------------------------------------------------------------------------------

TRANSACTION_TYPE_CODES = {
    "salesOrder": "SalesOrd",
    "itemFulfillment": "ItemShip",
    "invoice": "CustInvc",
    "returnAuthorization": "RtnAuth",
    "itemReceipt": "ItemRcpt",
    "creditMemo": "CustCred",
    "customerRefund": "CustRfnd",
}
TABLES = {
    "transaction": (
        "id",
        "tranid",
        "trandate",
        "type",
        "recordtype",
        "externalid",
        "otherrefnum",
        "memo",
        "entity",
        "status",
        "createdfrom",
        "foreigntotal",
        "createddate",
        "lastmodifieddate",
    ),
    "customer": ("id", "externalid", "entityid", "companyname", "email", "datecreated", "lastmodifieddate"),
    "item": ("id", "externalid", "itemid", "displayname", "lastmodifieddate"),
    "location": ("id", "externalid", "name", "lastmodifieddate"),
    "inventoryitemlocations": (
        "item",
        "location",
        "quantityonhand",
        "quantitycommitted",
        "quantityavailable",
        "quantitybackordered",
    ),
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    label: str
    display: bool = False
    """``BUILTIN.DF(col)``: the display name instead of the raw value."""


@dataclass(slots=True)
class SuiteQuery:
    table: str
    columns: list[Column]
    where: Callable[[Row], Any] | None
    order: list[tuple[str, bool]]
    top: int | None


def parse_suiteql(text: str) -> SuiteQuery:
    cursor = _Cursor(tokenize(text))
    if not cursor.keyword("SELECT"):
        raise invalid_query("Only SELECT statements are supported.")
    top = None
    if cursor.keyword("TOP"):
        token = cursor.take()
        if token.kind != "number":
            raise invalid_query("TOP needs a number.")
        top = int(token.value)
    star = cursor.peek.kind == "op" and cursor.peek.text == "*"
    raw_columns: list[tuple[str, str | None, bool]] = []
    if star:
        cursor.take()
    else:
        raw_columns.append(_select_item(cursor))
        while cursor.peek.kind == "op" and cursor.peek.text == ",":
            cursor.take()
            raw_columns.append(_select_item(cursor))
    if not cursor.keyword("FROM"):
        raise invalid_query(f"Expected FROM but found {cursor.peek.text or 'the end of the query'!r}.")
    table_token = cursor.take()
    table = table_token.text.lower()
    if table_token.kind != "word" or table not in TABLES:
        raise invalid_query(f"Record '{table_token.text}' was not found. Known: {', '.join(TABLES)}.")
    known = TABLES[table]
    alias = None
    if cursor.peek.kind == "word" and cursor.peek.text.upper() not in ("WHERE", "ORDER"):
        alias = cursor.take().text.lower()
    resolve = _resolver(known, table, alias)
    columns = (
        [Column(c, c) for c in known]
        if star
        else [Column(resolve(name), (label or resolve(name)).lower(), df) for name, label, df in raw_columns]
    )
    where = None
    if cursor.keyword("WHERE"):
        where = _sql_or(cursor, resolve)
    order: list[tuple[str, bool]] = []
    if cursor.keyword("ORDER", "BY"):
        while True:
            name = _dotted(cursor)
            descending = cursor.keyword("DESC")
            if not descending:
                cursor.keyword("ASC")
            order.append((resolve(name), descending))
            if not (cursor.peek.kind == "op" and cursor.peek.text == ","):
                break
            cursor.take()
    if cursor.peek.kind != "end":
        raise invalid_query(f"Unexpected {cursor.peek.text!r}.")
    return SuiteQuery(table, columns, where, order, top)


def _dotted(cursor: _Cursor) -> str:
    token = cursor.take()
    if token.kind != "word":
        raise invalid_query(f"Expected a column but found {token.text or 'the end of the query'!r}.")
    name = token.text
    while cursor.peek.kind == "op" and cursor.peek.text == ".":
        cursor.take()
        part = cursor.take()
        if part.kind != "word":
            raise invalid_query("Expected a name after '.'.")
        name = f"{name}.{part.text}"
    return name


def _select_item(cursor: _Cursor) -> tuple[str, str | None, bool]:
    display = False
    following = cursor.tokens[min(cursor.at + 1, len(cursor.tokens) - 1)]
    if cursor.peek.kind == "word" and cursor.peek.text.upper() == "BUILTIN" and following.text == ".":
        cursor.take()
        cursor.take()
        if not cursor.keyword("DF"):
            raise invalid_query("Only BUILTIN.DF is supported.")
        cursor.expect_op("(")
        name = _dotted(cursor)
        cursor.expect_op(")")
        display = True
    else:
        name = _dotted(cursor)
    label = None
    if cursor.keyword("AS") or (cursor.peek.kind == "word" and cursor.peek.text.upper() != "FROM"):
        token = cursor.take()
        if token.kind != "word":
            raise invalid_query(f"Expected a column alias but found {token.text or 'the end of the query'!r}.")
        label = token.text
    return name, label, display


def _resolver(known: tuple[str, ...], table: str, alias: str | None) -> Callable[[str], str]:
    def resolve(name: str) -> str:
        parts = name.lower().split(".")
        if len(parts) == 2 and parts[0] in (table, alias):
            parts = parts[1:]
        if len(parts) != 1 or parts[0] not in known:
            raise invalid_query(f"Field '{name}' for record '{table}' was not found.")
        return parts[0]

    return resolve


Expr = Callable[[Row], Any]


def _sql_or(cursor: _Cursor, resolve: Callable[[str], str]) -> Expr:
    parts = [_sql_and(cursor, resolve)]
    while cursor.keyword("OR"):
        parts.append(_sql_and(cursor, resolve))
    return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))


def _sql_and(cursor: _Cursor, resolve: Callable[[str], str]) -> Expr:
    parts = [_sql_not(cursor, resolve)]
    while cursor.keyword("AND"):
        parts.append(_sql_not(cursor, resolve))
    return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))


def _sql_not(cursor: _Cursor, resolve: Callable[[str], str]) -> Expr:
    if cursor.keyword("NOT"):
        inner = _sql_not(cursor, resolve)
        return lambda row: not inner(row)
    return _sql_predicate(cursor, resolve)


def _sql_predicate(cursor: _Cursor, resolve: Callable[[str], str]) -> Expr:
    left = _sql_operand(cursor, resolve)
    token = cursor.peek
    if token.kind == "op" and token.text in ("=", "!=", "<>", "<", "<=", ">", ">="):
        cursor.take()
        right = _sql_operand(cursor, resolve)
        return _comparison(token.text, left, right)
    if cursor.keyword("IS", "NOT", "NULL"):
        return lambda row: left(row) is not None
    if cursor.keyword("IS", "NULL"):
        return lambda row: left(row) is None
    negate = cursor.keyword("NOT")
    if cursor.keyword("IN"):
        cursor.expect_op("(")
        options = [_sql_operand(cursor, resolve)]
        while cursor.peek.kind == "op" and cursor.peek.text == ",":
            cursor.take()
            options.append(_sql_operand(cursor, resolve))
        cursor.expect_op(")")
        equal = [_comparison("=", left, option) for option in options]
        return lambda row: any(e(row) for e in equal) != negate
    if cursor.keyword("LIKE"):
        pattern_token = cursor.take()
        if pattern_token.kind != "string":
            raise invalid_query("LIKE needs a quoted pattern.")
        pattern = re.compile(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern_token.value),
            re.IGNORECASE | re.DOTALL,
        )
        return lambda row: ((v := left(row)) is not None and bool(pattern.fullmatch(str(v)))) != negate
    if cursor.keyword("BETWEEN"):
        low = _sql_operand(cursor, resolve)
        if not cursor.keyword("AND"):
            raise invalid_query("BETWEEN needs AND.")
        high = _sql_operand(cursor, resolve)
        above, below = _comparison(">=", left, low), _comparison("<=", left, high)
        return lambda row: (above(row) and below(row)) != negate
    if negate:
        raise invalid_query("NOT must be followed by IN, LIKE or BETWEEN here.")
    return left


def _sql_operand(cursor: _Cursor, resolve: Callable[[str], str]) -> Expr:
    token = cursor.peek
    if token.kind == "op" and token.text == "(":
        cursor.take()
        inner = _sql_or(cursor, resolve)
        cursor.expect_op(")")
        return inner
    if token.kind in ("string", "number"):
        cursor.take()
        value = token.value
        return lambda row: value
    if token.kind != "word":
        raise invalid_query(f"Unexpected {token.text or 'end of the query'!r}.")
    upper = token.text.upper()
    if upper in ("TO_DATE", "TO_TIMESTAMP", "UPPER", "LOWER"):
        cursor.take()
        cursor.expect_op("(")
        argument = _sql_operand(cursor, resolve)
        if cursor.peek.kind == "op" and cursor.peek.text == ",":
            cursor.take()
            _sql_operand(cursor, resolve)  # the format: ISO and M/D/YYYY are recognised whatever it says
        cursor.expect_op(")")
        if upper in ("UPPER", "LOWER"):
            change = str.upper if upper == "UPPER" else str.lower
            return lambda row: None if (v := argument(row)) is None else change(str(v))
        probe = argument({})
        moment = parse_datetime(probe)
        if moment is None:
            raise invalid_query(f"{upper} could not read {probe!r} as a date.")
        return lambda row: moment
    if upper == "NULL":
        cursor.take()
        return lambda row: None
    name = resolve(_dotted(cursor))
    return lambda row: row.get(name)


def _comparison(op: str, left: Expr, right: Expr) -> Expr:
    def compare(row: Row) -> bool:
        a, b = left(row), right(row)
        if a is None or b is None:
            return False
        if isinstance(a, datetime) or isinstance(b, datetime):
            a, b = parse_datetime(a), parse_datetime(b)
            if a is None or b is None:
                return False
        elif isinstance(a, float) or isinstance(b, float):
            try:
                a, b = float(a), float(b)
            except (TypeError, ValueError):
                a, b = str(a), str(b)
        else:
            a, b = str(a), str(b)
        if op == "=":
            return bool(a == b)
        if op in ("!=", "<>"):
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    return compare
