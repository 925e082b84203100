"""A SOQL subset: a hand-written lexer and recursive-descent parser, the org's checks, and evaluation.

Integrations query the org to find work (orders changed since a watermark, lines of an order, a
product by SKU), so the mock must answer queries as the org does, and refuse them as it does:
``MALFORMED_QUERY`` for syntax, ``INVALID_FIELD``/``INVALID_TYPE`` for names, each message carrying
the query, a caret and ``ERROR at Row:R:Column:C`` like the real one.

Grammar (one level of parent relationship, as most integrations use)::

    query      := SELECT (COUNT '(' ')' | path (',' path)*) FROM name
                  [WHERE condition] [ORDER BY order (',' order)*] [LIMIT int] [OFFSET int]
    condition  := unit (AND unit)* | unit (OR unit)*          -- mixing needs parentheses, as in SOQL
    unit       := NOT unit | '(' condition ')' | path op value | path [NOT] IN '(' value (',' value)* ')'
                | path LIKE string
    order      := path [ASC|DESC] [NULLS (FIRST|LAST)]
    value      := string | number | TRUE | FALSE | NULL | date | datetime | date-literal[:n]

:func:`render` writes a parsed query back as canonical SOQL: ``parse(render(q)) == q``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from mocks.salesforce.errors import SalesforceError
from mocks.salesforce.ids import is_valid, to18
from mocks.salesforce.objects import SOBJECTS, Field, SObject

Record = dict[str, Any]

# -- the query as data ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Path:
    """A field, or ``Relationship.Field`` one level up. ``offset`` is where it stood, for errors."""

    names: tuple[str, ...]
    offset: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return ".".join(self.names)


@dataclass(frozen=True, slots=True)
class DateLiteral:
    """A relative date range such as ``TODAY`` or ``LAST_N_DAYS:7``; ``n`` only for the ``_N_`` kinds."""

    name: str
    n: int | None = None

    def __str__(self) -> str:
        return self.name if self.n is None else f"{self.name}:{self.n}"


Value = str | int | float | bool | None | date | datetime | DateLiteral


@dataclass(frozen=True, slots=True)
class Comparison:
    path: Path
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Membership:
    path: Path
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like:
    path: Path
    pattern: str


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


@dataclass(frozen=True, slots=True)
class Junction:
    """``AND`` or ``OR`` over two or more conditions."""

    op: str
    conditions: tuple[Condition, ...]


Condition = Comparison | Membership | Like | Not | Junction


@dataclass(frozen=True, slots=True)
class Ordering:
    path: Path
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    sobject: str
    fields: tuple[Path, ...]
    """Empty for ``SELECT COUNT()``."""
    where: Condition | None = None
    order_by: tuple[Ordering, ...] = ()
    limit: int | None = None
    offset: int | None = None

    @property
    def counts(self) -> bool:
        return not self.fields


# -- lexing ---------------------------------------------------------------------------------------

KEYWORDS = frozenset(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "LIMIT",
        "OFFSET",
        "COUNT",
        "TRUE",
        "FALSE",
        "NULL",
    ]
)
COMPARISONS = ("=", "!=", "<>", "<=", ">=", "<", ">")
RANGE_LITERALS = frozenset(
    ["TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH"]
)
COUNTED_LITERALS = frozenset(["LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"])

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+))(?![\w.])
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    offset: int

    @property
    def upper(self) -> str:
        return self.text.upper()


class SoqlError(SalesforceError):
    """A refused query, with the org's caret-and-position message."""

    def __init__(self, error_code: str, soql: str, offset: int, detail: str) -> None:
        row = soql.count("\n", 0, offset) + 1
        line_start = soql.rfind("\n", 0, offset) + 1
        line_end = soql.find("\n", offset)
        line = soql[line_start : line_end if line_end != -1 else len(soql)]
        column = offset - line_start + 1
        message = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}"
        super().__init__(400, error_code, message)


def tokenize(soql: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None:
            raise SoqlError("MALFORMED_QUERY", soql, position, f"line 1:{position} no viable alternative at character")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "", len(soql)))
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 1
            out.append(_ESCAPES.get(body[index], "\\" + body[index]))
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped.replace(chr(9), chr(92) + 't')}'"


# -- parsing --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    @property
    def follower(self) -> Token:
        """The token after the current one (the end token repeats at the end)."""
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.token
        shown = "<EOF>" if token.kind == "eof" else f"'{token.text}'"
        return SoqlError("MALFORMED_QUERY", self.soql, token.offset, f"unexpected token: {shown}")

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def at(self, *keywords: str) -> bool:
        return self.token.kind == "word" and self.token.upper in keywords

    def expect(self, keyword: str) -> Token:
        if not self.at(keyword):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, char: str) -> None:
        if self.token.kind != "punct" or self.token.text != char:
            raise self.unexpected()
        self.advance()

    def query(self) -> Query:
        self.expect("SELECT")
        fields: tuple[Path, ...] = ()
        if self.at("COUNT") and self.follower.text == "(":
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
        else:
            paths = [self.path()]
            while self.token.text == ",":
                self.advance()
                paths.append(self.path())
            fields = tuple(paths)
        self.expect("FROM")
        sobject = self.name()
        where = None
        if self.at("WHERE"):
            self.advance()
            where = self.condition()
        order: list[Ordering] = []
        if self.at("ORDER"):
            self.advance()
            self.expect("BY")
            order.append(self.ordering())
            while self.token.text == ",":
                self.advance()
                order.append(self.ordering())
        limit = offset = None
        if self.at("LIMIT"):
            self.advance()
            limit = self.integer()
        if self.at("OFFSET"):
            self.advance()
            offset = self.integer()
        if self.token.kind != "eof":
            raise self.unexpected()
        return Query(sobject, fields, where, tuple(order), limit, offset)

    def name(self) -> str:
        token = self.token
        # ``Order`` names an object as well as starting ORDER BY: the word after tells which.
        is_object = token.upper == "ORDER" and self.follower.upper != "BY"
        if token.kind != "word" or (token.upper in KEYWORDS and not is_object) or not token.text.isidentifier():
            raise self.unexpected()
        return self.advance().text

    def path(self) -> Path:
        token = self.token
        if token.kind != "word" or token.upper in KEYWORDS or ":" in token.text:
            raise self.unexpected()
        self.advance()
        return Path(tuple(token.text.split(".")), token.offset)

    def integer(self) -> int:
        token = self.token
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    def ordering(self) -> Ordering:
        path = self.path()
        descending = False
        if self.at("ASC", "DESC"):
            descending = self.advance().upper == "DESC"
        nulls_last = descending
        if self.at("NULLS"):
            self.advance()
            if not self.at("FIRST", "LAST"):
                raise self.unexpected()
            nulls_last = self.advance().upper == "LAST"
        return Ordering(path, descending, nulls_last)

    def condition(self) -> Condition:
        first = self.unit()
        if not self.at("AND", "OR"):
            return first
        op = self.token.upper
        parts = [first]
        while self.at("AND", "OR"):
            if self.token.upper != op:
                raise self.unexpected()
            self.advance()
            parts.append(self.unit())
        return Junction(op, tuple(parts))

    def unit(self) -> Condition:
        if self.at("NOT"):
            self.advance()
            return Not(self.unit())
        if self.token.text == "(":
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        path = self.path()
        token = self.token
        if token.kind == "op":
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(path, op, self.value())
        if self.at("LIKE"):
            self.advance()
            pattern = self.token
            if pattern.kind != "string":
                raise self.unexpected()
            self.advance()
            return Like(path, _unquote(pattern.text))
        negated = False
        if self.at("NOT"):
            self.advance()
            negated = True
            if not self.at("IN"):
                raise self.unexpected()
        if self.at("IN"):
            self.advance()
            self.expect_punct("(")
            values = [self.value()]
            while self.token.text == ",":
                self.advance()
                values.append(self.value())
            self.expect_punct(")")
            return Membership(path, tuple(values), negated)
        raise self.unexpected()

    def value(self) -> Value:
        token = self.token
        if token.kind == "string":
            self.advance()
            return _unquote(token.text)
        if token.kind == "number":
            self.advance()
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if token.kind == "date":
            self.advance()
            try:
                return date.fromisoformat(token.text)
            except ValueError:
                raise self.unexpected(token) from None
        if token.kind == "datetime":
            self.advance()
            try:
                return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
            except ValueError:
                raise self.unexpected(token) from None
        if token.kind == "word":
            upper = token.upper
            if upper in ("TRUE", "FALSE"):
                self.advance()
                return upper == "TRUE"
            if upper == "NULL":
                self.advance()
                return None
            if upper in RANGE_LITERALS:
                self.advance()
                return DateLiteral(upper)
            name, _, n = upper.partition(":")
            if name in COUNTED_LITERALS and n:
                self.advance()
                return DateLiteral(name, int(n))
        raise self.unexpected()


def parse(soql: str) -> Query:
    """Parse SOQL into a :class:`Query`; syntax errors are ``MALFORMED_QUERY``."""
    return _Parser(soql).query()


# -- rendering ------------------------------------------------------------------------------------


def render_value(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DateLiteral):
        return str(value)
    return _quote(value)


def render_condition(condition: Condition, nested: bool = False) -> str:
    if isinstance(condition, Comparison):
        return f"{condition.path} {condition.op} {render_value(condition.value)}"
    if isinstance(condition, Membership):
        values = ", ".join(render_value(v) for v in condition.values)
        return f"{condition.path} {'NOT IN' if condition.negated else 'IN'} ({values})"
    if isinstance(condition, Like):
        return f"{condition.path} LIKE {_quote(condition.pattern)}"
    if isinstance(condition, Not):
        return f"NOT {render_condition(condition.condition, nested=True)}"
    text = f" {condition.op} ".join(render_condition(c, nested=True) for c in condition.conditions)
    return f"({text})" if nested else text


def render(query: Query) -> str:
    """Canonical SOQL for a query; parsing it answers the same query."""
    selected = ", ".join(str(p) for p in query.fields) if query.fields else "COUNT()"
    text = f"SELECT {selected} FROM {query.sobject}"
    if query.where is not None:
        text += f" WHERE {render_condition(query.where)}"
    if query.order_by:
        text += " ORDER BY " + ", ".join(
            f"{o.path} {'DESC' if o.descending else 'ASC'} NULLS {'LAST' if o.nulls_last else 'FIRST'}"
            for o in query.order_by
        )
    if query.limit is not None:
        text += f" LIMIT {query.limit}"
    if query.offset is not None:
        text += f" OFFSET {query.offset}"
    return text


# -- checking names and types against the org's schema --------------------------------------------

MAX_OFFSET = 2000

_NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, be sure to append"
    " the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate"
    " names."
)
_NO_SUCH_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom relationship, be"
    " sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call"
    " for the appropriate names."
)
_NO_SUCH_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append the"
    " '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
)
_TEXT_TYPES = frozenset({"string", "email", "phone", "textarea", "picklist", "id", "reference", "url"})


def relationship(sobject: SObject, name: str) -> tuple[Field, SObject] | None:
    """The reference field behind a parent relationship name (``Account`` is ``AccountId``)."""
    for f in sobject.fields:
        if f.reference_to and (f.relationship_name or "").lower() == name.lower():
            return f, SOBJECTS[f.reference_to]
    return None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A path checked against the schema: the field read, and the relationship hop if any."""

    names: tuple[str, ...]
    """Canonical spelling, as the org answers it."""
    field: Field
    via: Field | None = None
    parent: SObject | None = None


class Plan:
    """A checked query, ready to run over records."""

    def __init__(self, soql: str, query: Query) -> None:
        self.soql = soql
        self.query = query
        self.sobject = self._object()
        self.paths: dict[Path, Resolved] = {}
        seen: set[tuple[str, ...]] = set()
        for path in query.fields:
            resolved = self._resolve(path)
            key = tuple(n.lower() for n in resolved.names)
            if key in seen:
                raise SoqlError("MALFORMED_QUERY", soql, path.offset, f"duplicate field selected: {path}")
            seen.add(key)
        if query.where is not None:
            self._check(query.where)
        for ordering in query.order_by:
            self._resolve(ordering.path)
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SalesforceError(
                400,
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed for apiName {self.sobject.name} is {MAX_OFFSET}",
            )

    def equality(self) -> tuple[str, str] | None:
        """A ``field = 'text'`` every result must satisfy (the whole WHERE, or one side of its top AND):
        lets the org narrow the rows by index before evaluating the rest."""
        where = self.query.where
        terms = where.conditions if isinstance(where, Junction) and where.op == "AND" else (where,)
        for term in terms:
            if isinstance(term, Comparison) and term.op == "=" and isinstance(term.value, str) and term.value:
                resolved = self.paths[term.path]
                if resolved.via is None:
                    value = to18(term.value) if resolved.field.type in ("id", "reference") else term.value
                    return resolved.field.name, value
        return None

    def _object(self) -> SObject:
        name = self.query.sobject
        found = SOBJECTS.get(name) or next((o for n, o in SOBJECTS.items() if n.lower() == name.lower()), None)
        if found is None:
            offset = re.search(r"\bFROM\s+", self.soql, re.IGNORECASE)
            raise SoqlError("INVALID_TYPE", self.soql, offset.end() if offset else 0, _NO_SUCH_TYPE.format(name=name))
        return found

    def _resolve(self, path: Path) -> Resolved:
        resolved = self.paths.get(path)
        if resolved is not None:
            return resolved
        if len(path.names) > 2:
            raise SoqlError("INVALID_FIELD", self.soql, path.offset, _NO_SUCH_RELATIONSHIP.format(name=path.names[1]))
        if len(path.names) == 2:
            hop = relationship(self.sobject, path.names[0])
            if hop is None:
                raise SoqlError(
                    "INVALID_FIELD", self.soql, path.offset, _NO_SUCH_RELATIONSHIP.format(name=path.names[0])
                )
            via, parent = hop
            target = parent.field(path.names[1])
            if target is None:
                raise SoqlError(
                    "INVALID_FIELD",
                    self.soql,
                    path.offset,
                    _NO_SUCH_COLUMN.format(name=path.names[1], entity=parent.name),
                )
            resolved = Resolved((via.relationship_name or via.name, target.name), target, via, parent)
        else:
            found = self.sobject.field(path.names[0])
            if found is None:
                raise SoqlError(
                    "INVALID_FIELD",
                    self.soql,
                    path.offset,
                    _NO_SUCH_COLUMN.format(name=path.names[0], entity=self.sobject.name),
                )
            resolved = Resolved((found.name,), found)
        self.paths[path] = resolved
        return resolved

    def _check(self, condition: Condition) -> None:
        if isinstance(condition, Junction):
            for part in condition.conditions:
                self._check(part)
        elif isinstance(condition, Not):
            self._check(condition.condition)
        elif isinstance(condition, Comparison):
            field_ = self._resolve(condition.path).field
            self._check_value(condition.path, field_, condition.value, condition.op)
        elif isinstance(condition, Membership):
            field_ = self._resolve(condition.path).field
            for value in condition.values:
                self._check_value(condition.path, field_, value, "=")
        else:
            field_ = self._resolve(condition.path).field
            if field_.type not in _TEXT_TYPES:
                raise SoqlError(
                    "INVALID_FIELD",
                    self.soql,
                    condition.path.offset,
                    f"invalid operator on field: {field_.name}",
                )

    def _check_value(self, path: Path, field_: Field, value: Value, op: str) -> None:
        if value is None:
            if op in ("=", "!="):
                return
            raise SoqlError("INVALID_FIELD", self.soql, path.offset, f"invalid operator on field: {field_.name}")
        kind = field_.type
        if kind == "datetime":
            ok = isinstance(value, datetime | DateLiteral)
            expected = "dateTime"
        elif kind == "date":
            ok = isinstance(value, DateLiteral) or (isinstance(value, date) and not isinstance(value, datetime))
            expected = "date"
        elif kind in ("double", "currency", "int", "percent"):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            expected = "double"
        elif kind == "boolean":
            ok = isinstance(value, bool)
            expected = "boolean"
        else:
            ok = isinstance(value, str)
            expected = "string"
        if not ok:
            quoted = " and should not be enclosed in quotes" if isinstance(value, str) else ""
            raise SoqlError(
                "INVALID_FIELD",
                self.soql,
                path.offset,
                f"value of filter criterion for field '{field_.name}' must be of type {expected}{quoted}",
            )
        if isinstance(value, str) and field_.type in ("id", "reference") and value and not is_valid(value):
            raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", self.soql, path.offset, f"invalid ID field: {value}")


def compile_query(soql: str) -> Plan:
    """Parse and check a query against the schema, as the org does before it runs anything."""
    if not soql.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
    return Plan(soql, parse(soql))


# -- running --------------------------------------------------------------------------------------


def day_range(literal: DateLiteral, now: datetime) -> tuple[datetime, datetime]:
    """The half-open UTC range a relative date literal stands for (the org's time zone is UTC)."""
    today = datetime.combine(now.date(), time(), UTC)
    day = timedelta(days=1)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday (en_US)
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    last_month = (month_start - day).replace(day=1)
    n = literal.n or 0
    ranges = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (month_start, next_month),
        "LAST_MONTH": (last_month, month_start),
        "NEXT_MONTH": (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "LAST_N_DAYS": (today - n * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        "N_DAYS_AGO": (today - n * day, today - (n - 1) * day),
    }
    return ranges[literal.name]


def stored_moment(text: str) -> datetime:
    """A stored datetime (``2026-11-27T08:00:00.000+0000``) as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def _comparable(field_: Field, stored: Any) -> Any:
    if field_.type == "datetime":
        return stored_moment(stored)
    if field_.type == "date":
        return datetime.combine(date.fromisoformat(stored), time(), UTC)
    if isinstance(stored, str):
        return stored.casefold()
    return stored


def _literal(field_: Field, value: Value) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, str):
        if field_.type in ("id", "reference") and len(value) == 15:
            return to18(value).casefold()
        return value.casefold()
    return value


_ORDER = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def like(pattern: str) -> re.Pattern[str]:
    """SOQL LIKE as a regular expression: ``%`` any run, ``_`` one character, case-insensitive."""
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


class Runner:
    """Runs a checked query over an org's records; ``parent_of`` follows a reference to its record."""

    def __init__(self, plan: Plan, now: datetime, parent_of: Callable[[str, str | None], Record | None]) -> None:
        self.plan = plan
        self.now = now
        self.parent_of = parent_of

    def read(self, record: Record, path: Path) -> Any:
        resolved = self.plan.paths[path]
        if resolved.via is None:
            return record.get(resolved.field.name)
        assert resolved.parent is not None
        parent = self.parent_of(resolved.parent.name, record.get(resolved.via.name))
        return None if parent is None else parent.get(resolved.field.name)

    def matches(self, record: Record, condition: Condition) -> bool:
        if isinstance(condition, Junction):
            results = (self.matches(record, c) for c in condition.conditions)
            return all(results) if condition.op == "AND" else any(results)
        if isinstance(condition, Not):
            return not self.matches(record, condition.condition)
        field_ = self.plan.paths[condition.path].field
        stored = self.read(record, condition.path)
        if isinstance(condition, Like):
            return stored is not None and like(condition.pattern).fullmatch(str(stored)) is not None
        if isinstance(condition, Membership):
            found = stored is not None and any(self._equal(field_, stored, v) for v in condition.values)
            return not found if condition.negated else found
        return self._compare(field_, stored, condition.op, condition.value)

    def _equal(self, field_: Field, stored: Any, value: Value) -> bool:
        return self._compare(field_, stored, "=", value)

    def _compare(self, field_: Field, stored: Any, op: str, value: Value) -> bool:
        if value is None:
            return (stored is None) == (op == "=")
        if stored is None:
            return op == "!="  # SOQL's != matches nulls, unlike SQL
        mine = _comparable(field_, stored)
        if isinstance(value, DateLiteral):
            start, end = day_range(value, self.now)
            inside = start <= mine < end
            return {
                "=": inside,
                "!=": not inside,
                "<": mine < start,
                "<=": mine < end,
                ">": mine >= end,
                ">=": mine >= start,
            }[op]
        return bool(_ORDER[op](mine, _literal(field_, value)))

    def run(self, records: Iterable[Record]) -> list[Record]:
        query = self.plan.query
        found = [r for r in records if query.where is None or self.matches(r, query.where)]
        for ordering in reversed(query.order_by):
            found.sort(key=partial(self._sort_key, ordering=ordering), reverse=ordering.descending)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return found[start:end]

    def _sort_key(self, record: Record, ordering: Ordering) -> tuple[int, Any]:
        stored = self.read(record, ordering.path)
        nulls_rank = 1 if ordering.nulls_last else 0
        if ordering.descending:
            nulls_rank = 1 - nulls_rank  # the list is reversed afterwards
        if stored is None:
            return (nulls_rank, 0)
        return (1 - nulls_rank, _comparable(self.plan.paths[ordering.path].field, stored))

    def project(self, record: Record, shape: Callable[[str, Record], dict[str, Any]]) -> Record:
        """The selected fields, under ``attributes``, parents nested as the API nests them."""
        out = shape(self.plan.sobject.name, record)
        for path in self.plan.query.fields:
            resolved = self.plan.paths[path]
            if resolved.via is None:
                out[resolved.field.name] = record.get(resolved.field.name)
                continue
            assert resolved.parent is not None
            name = resolved.names[0]
            parent = self.parent_of(resolved.parent.name, record.get(resolved.via.name))
            if parent is None:
                out[name] = None
                continue
            nested = out.get(name) or shape(resolved.parent.name, parent)
            nested[resolved.field.name] = parent.get(resolved.field.name)
            out[name] = nested
        return out
