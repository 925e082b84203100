"""NetSuite REST web services surface: OAuth 2.0 client credentials, the record API and SuiteQL.

The quirks integrations trip over are kept: a create (or a transform) answers 204 with a
``Location`` header and no body; external ids address records as ``eid:<value>``; sublists stay
links until ``expandSubResources=true``; collections page with ``limit``/``offset`` and answer only
links and ids; SuiteQL refuses to run without ``Prefer: transient``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from harness.capture import tag
from harness.world import World
from mocks.contract import BOOLEAN, STRING, Answer, parameter
from mocks.erp import records
from mocks.erp.contract import (
    ANY_OBJECT,
    COLLECTION,
    KEY,
    NETSUITE,
    OAUTH_ERROR,
    PAGING,
    RECORD,
    RECORD_TYPE,
    SHARED,
    SUBLIST,
    SUITEQL_IN,
    TARGET,
    TOKEN,
    TOKEN_FORM,
    TOKEN_PATH,
    WRITTEN,
    WRITTEN_LINKS,
    error,
)
from mocks.erp.errors import NetSuiteError, invalid_login
from mocks.erp.query import TABLES, TRANSACTION_TYPE_CODES, parse_filter, parse_suiteql
from mocks.erp.state import ErpState, Transaction, check_upsert_external_id

RECORD_BASE = "/services/rest/record/v1"
QUERY_PATH = "/services/rest/query/v1/suiteql"
PAGE_LIMIT = 1000
"""NetSuite's default and largest page."""

CREATABLE = ("salesOrder", "returnAuthorization", "creditMemo", "customerRefund", *records.ENTITY_TYPES)
"""Record types a plain POST creates (a credit memo so made is standalone); fulfilments, invoices
and receipts come from ``!transform`` only."""
UPSERTABLE = ("salesOrder", *records.ENTITY_TYPES)
ENTITY_FIELDS = {
    "customer": frozenset({"externalId", "companyName", "email", "phone"}),
    "inventoryItem": frozenset({"externalId", "itemId", "displayName", "basePrice"}),
    "location": frozenset({"externalId", "name"}),
}
_NAME_FIELD = {"customer": "companyName", "inventoryItem": "itemId", "location": "name"}


class Credentials:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret


def build_app(
    system: str,
    world: World,
    state: ErpState,
    credentials: Credentials,
    *,
    token_lifetime: float,
    record_event: Callable[[str, str | None, dict[str, Any]], None],
) -> ASGIApp:
    """``record_event(kind, business_key, payload)`` puts a domain event in the History."""
    app = FastAPI(title=f"Mock ERP {system} (NetSuite REST web services)", docs_url=None, redoc_url=None)
    NETSUITE.publish(app, __doc__ or "", SHARED)

    @app.exception_handler(NetSuiteError)
    async def _netsuite_error(_: Request, exc: NetSuiteError) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return NetSuiteError(
                405, "INVALID_REQUEST", f"The HTTP method {request.method} is not allowed here."
            ).response()
        return NetSuiteError(404, "INVALID_REQUEST", f"The resource {request.url.path} does not exist.").response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return NetSuiteError(400, "INVALID_CONTENT", "The request could not be parsed.").response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return NetSuiteError(
            500, "UNEXPECTED_ERROR", f"An unexpected error occurred ({type(exc).__name__})."
        ).response()

    def authorise(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        issued = state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or world.sync() - issued > token_lifetime:
            raise invalid_login()

    async def json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            raise NetSuiteError(400, "INVALID_CONTENT", "The request body is empty: send a JSON object.")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise NetSuiteError(400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise NetSuiteError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        return body

    async def optional_body(request: Request) -> dict[str, Any]:
        return await json_body(request) if (await request.body()).strip() else {}

    def base(request: Request) -> str:
        return f"{str(request.base_url).rstrip('/')}{RECORD_BASE}"

    def known_type(record_type: str) -> None:
        if record_type not in records.RECORD_TYPES:
            raise NetSuiteError(
                404,
                "INVALID_RCRD_TYPE",
                f"Record type '{record_type}' does not exist or is not supported by this account."
                f" Supported: {', '.join(records.RECORD_TYPES)}.",
            )

    def find(record_type: str, key: str) -> Any:
        if record_type in records.ENTITY_TYPES:
            return state.entity(record_type, key)
        return state.transaction(record_type, key)

    def created(request: Request, record_type: str, record: Any) -> Response:
        return Response(status_code=204, headers={"Location": f"{base(request)}/{record_type}/{record.id}"})

    def keys_of(record: Any) -> tuple[str, ...]:
        if isinstance(record, Transaction):
            order = state.sales_orders.get(record.order_id or record.id)
            if order is not None:
                return (order.external_id or "", order.other_ref_num or "", order.tran_id)
            return (record.external_id or "", record.tran_id)
        return (record.external_id or "",)

    def event(kind: str, record_type: str, record: Any) -> None:
        keys = [k for k in keys_of(record) if k]
        record_event(
            f"{record_type}.{kind}",
            keys[0] if keys else None,
            {"id": record.id, "tranId": getattr(record, "tran_id", None), "externalId": record.external_id},
        )

    @app.post(
        TOKEN_PATH,
        **NETSUITE.operation(
            "Sign in: OAuth 2.0 client credentials",
            {200: Answer("An access token", TOKEN)},
            public=True,
            form=TOKEN_FORM,
            example={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
            own_errors={
                400: Answer("Not a client-credentials grant", OAUTH_ERROR),
                401: Answer("Unknown client", OAUTH_ERROR),
                429: error(429),
                503: error(503),
            },
        ),
    )
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("client_id") != credentials.client_id or form.get("client_secret") != credentials.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        access = secrets.token_urlsafe(40)
        state.tokens[access] = world.sync()
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": int(token_lifetime)})

    # -- records ----------------------------------------------------------------------------------------

    @app.post(
        f"{RECORD_BASE}/{{record_type}}",
        **NETSUITE.operation(
            "Create a record: 204 and its URL in Location, no body",
            {204: WRITTEN},
            [400, 404],
            parameters=[{**RECORD_TYPE, "example": "customer"}],
            body=ANY_OBJECT,
            links={204: WRITTEN_LINKS},
            example={"companyName": "Rehearsal Ltd", "email": "ops@rehearse.invalid"},
        ),
    )
    async def create(record_type: str, request: Request) -> Response:
        authorise(request)
        known_type(record_type)
        if record_type not in CREATABLE:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"A {record_type} is created by transforming its source record"
                f" (POST .../{'returnAuthorization' if record_type == 'itemReceipt' else 'salesOrder'}"
                f"/{{id}}/!transform/{record_type}).",
            )
        body = await json_body(request)
        record = create_record(record_type, body, None)
        tag(request.scope, *keys_of(record))
        event("created", record_type, record)
        return created(request, record_type, record)

    def create_record(record_type: str, body: dict[str, Any], external_id: str | None) -> Any:
        if record_type == "salesOrder":
            return state.create_sales_order(body, external_id)
        if record_type == "returnAuthorization":
            return state.create_return(body, external_id)
        if record_type == "creditMemo":
            return state.create_credit_memo(body, external_id)
        if record_type == "customerRefund":
            return state.create_refund(body, external_id)
        return create_entity(record_type, body, external_id)

    def create_entity(record_type: str, body: dict[str, Any], external_id: str | None) -> Any:
        fields = entity_fields(record_type, body)
        name = fields.pop(_NAME_FIELD[record_type], None)
        if not name:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"Please enter value(s) for: {_NAME_FIELD[record_type]}.",
                _NAME_FIELD[record_type],
            )
        external = external_id or fields.pop("externalId", None) or None
        fields.pop("externalId", None)
        if record_type == "customer":
            return state.add_customer(str(name), external, **fields)
        if record_type == "location":
            entity = state.add_location(str(name))
            if external != entity.external_id:
                raise NetSuiteError(
                    400, "INVALID_CONTENT", "A location's external ID is its name in this account.", "externalId"
                )
            return entity
        if external not in (None, name):
            raise NetSuiteError(
                400, "INVALID_CONTENT", "An inventory item's external ID is its SKU (itemId).", "externalId"
            )
        return state.add_item(str(name), str(fields.pop("displayName", name)), **fields)

    def entity_fields(record_type: str, body: dict[str, Any]) -> dict[str, Any]:
        allowed = ENTITY_FIELDS[record_type]
        fields: dict[str, Any] = {}
        for name, value in body.items():
            if name not in allowed:
                raise NetSuiteError(
                    400, "INVALID_CONTENT", f"Invalid field name '{name}' for record type {record_type}.", name
                )
            if name == "basePrice":
                if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                    raise NetSuiteError(400, "INVALID_FLD_VALUE", f"Invalid basePrice {value!r}.", name)
                fields[name] = float(value)
            elif value is None or isinstance(value, str):
                fields[name] = value
            else:
                raise NetSuiteError(
                    400, "INVALID_CONTENT", f"Invalid value for field '{name}': expected a string.", name
                )
        return fields

    def update_record(record_type: str, record: Any, body: dict[str, Any]) -> Any:
        if record_type == "salesOrder":
            return state.update_sales_order(record, body)
        if record_type == "returnAuthorization":
            return state.approve_return(record, body)
        if isinstance(record, Transaction):
            allowed = frozenset({"memo"})
            for name in body:
                if name not in allowed:
                    raise NetSuiteError(
                        400,
                        "INVALID_CONTENT",
                        f"Field '{name}' of a {record_type} cannot be changed: only memo can.",
                        name,
                    )
            memo = body.get("memo")
            if memo is not None and not isinstance(memo, str):
                raise NetSuiteError(
                    400, "INVALID_CONTENT", "Invalid value for field 'memo': expected a string.", "memo"
                )
            record.memo = memo
            state.touch_transaction(record)
            return record
        fields = entity_fields(record_type, body)
        name_field = _NAME_FIELD[record_type]
        if "externalId" in fields and (fields["externalId"] or None) != record.external_id:
            raise NetSuiteError(
                400, "INVALID_CONTENT", "The external ID of an existing record cannot be changed here.", "externalId"
            )
        fields.pop("externalId", None)
        if name_field in fields and record_type != "customer":
            raise NetSuiteError(
                400, "INVALID_CONTENT", f"Field '{name_field}' keys this record and cannot be changed.", name_field
            )
        if name_field in fields:
            if not fields[name_field]:
                raise NetSuiteError(400, "USER_ERROR", f"Please enter value(s) for: {name_field}.", name_field)
            record.name = fields.pop(name_field)
        record.fields.update(fields)
        state.touch(record)
        return record

    @app.get(
        f"{RECORD_BASE}/{{record_type}}",
        **NETSUITE.operation(
            "List records: links and ids, paged",
            {200: Answer("A page of ids", COLLECTION)},
            [400, 404],
            parameters=[RECORD_TYPE, *PAGING, parameter("q", "query", STRING, "A condition: field OPERATOR value")],
        ),
    )
    async def collection(record_type: str, request: Request) -> dict[str, Any]:
        authorise(request)
        known_type(record_type)
        params = request.query_params
        limit, offset = paging(params.get("limit"), params.get("offset"))
        rows = [(r, records.row(state, record_type, r)) for r in records.records(state, record_type)]
        q = params.get("q")
        if q:
            predicate = parse_filter(q, frozenset(records.row_fields(record_type)), record_type)
            rows = [(r, row) for r, row in rows if predicate(row)]
        href = f"{base(request)}/{record_type}"
        page = rows[offset : offset + limit]
        items = [{"links": [{"rel": "self", "href": f"{href}/{r.id}"}], "id": r.id} for r, _ in page]
        extra = {"q": q} if q else {}
        return paged(href, items, len(rows), limit, offset, extra)

    @app.get(
        f"{RECORD_BASE}/{{record_type}}/{{key}}",
        **NETSUITE.operation(
            "Read a record by internal id or eid:<externalId>",
            {200: Answer("The record; its sublist a link unless expanded", RECORD)},
            [400, 404],
            parameters=[
                RECORD_TYPE,
                KEY,
                parameter("expandSubResources", "query", BOOLEAN, "Inline the sublist's rows"),
            ],
            operation_id="read_record",
        ),
    )
    async def read(record_type: str, key: str, request: Request) -> dict[str, Any]:
        authorise(request)
        known_type(record_type)
        record = find(record_type, key)
        tag(request.scope, *keys_of(record))
        expand = request.query_params.get("expandSubResources", "").lower() == "true"
        return records.shape(state, record_type, record, base(request), expand)

    @app.get(
        f"{RECORD_BASE}/{{record_type}}/{{key}}/{{sublist}}",
        **NETSUITE.operation(
            "A record's sublist rows",
            {200: Answer("The rows", COLLECTION)},
            [400, 404],
            parameters=[RECORD_TYPE, KEY, SUBLIST],
        ),
    )
    async def read_sublist(record_type: str, key: str, sublist: str, request: Request) -> dict[str, Any]:
        authorise(request)
        known_type(record_type)
        record = find(record_type, key)
        expected = records.SUBLISTS.get(record_type)
        if sublist != expected:
            raise NetSuiteError(
                404,
                "INVALID_SUBLIST",
                f"Sublist '{sublist}' does not exist on record type {record_type}"
                + (f": its sublist is '{expected}'." if expected else ": it has none."),
            )
        href = f"{base(request)}/{record_type}/{record.id}/{sublist}"
        rows = records.sublist_rows(state, record_type, record, href)
        return paged(href, rows, len(rows), max(len(rows), 1), 0, {})

    @app.patch(
        f"{RECORD_BASE}/{{record_type}}/{{key}}",
        **NETSUITE.operation(
            "Update a record",
            {204: Answer("Done: no body")},
            [400, 404],
            parameters=[RECORD_TYPE, KEY],
            body=ANY_OBJECT,
            operation_id="update_record",
        ),
    )
    async def update(record_type: str, key: str, request: Request) -> Response:
        authorise(request)
        known_type(record_type)
        record = find(record_type, key)
        record = update_record(record_type, record, await json_body(request))
        tag(request.scope, *keys_of(record))
        event("updated", record_type, record)
        return Response(status_code=204)

    @app.put(
        f"{RECORD_BASE}/{{record_type}}/{{key}}",
        **NETSUITE.operation(
            "Upsert by external id (key eid:<externalId>): 204 and the record's URL in Location",
            {204: WRITTEN},
            [400, 404],
            parameters=[RECORD_TYPE, KEY],
            body=ANY_OBJECT,
            links={204: WRITTEN_LINKS},
        ),
    )
    async def upsert(record_type: str, key: str, request: Request) -> Response:
        authorise(request)
        known_type(record_type)
        if not key.startswith("eid:") or len(key) == 4:
            raise NetSuiteError(
                400,
                "INVALID_REQUEST",
                f"Upsert needs an external ID in the URL: {record_type}/eid:<externalId>.",
            )
        if record_type not in UPSERTABLE:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"Upsert by external ID is not available for {record_type}: create it by its transform and"
                " set externalId in the body.",
            )
        external_id = key[4:]
        body = await json_body(request)
        if record_type == "salesOrder":
            record, was_created = state.upsert_sales_order(external_id, body)
        else:
            check_upsert_external_id(body, external_id)
            try:
                existing = state.entity(record_type, key)
            except NetSuiteError:
                record, was_created = create_entity(record_type, body, external_id), True
            else:
                record, was_created = update_record(record_type, existing, body), False
        tag(request.scope, external_id, *keys_of(record))
        event("created" if was_created else "updated", record_type, record)
        return created(request, record_type, record)

    @app.post(
        f"{RECORD_BASE}/{{record_type}}/{{key}}/!transform/{{target}}",
        **NETSUITE.operation(
            "Make a record from another (fulfilment, invoice, receipt, credit memo): 204 and its URL in Location",
            {204: WRITTEN},
            [400, 404],
            parameters=[
                RECORD_TYPE,
                KEY,
                TARGET,
                parameter("replace", "query", {"const": "item"}, "Replace the sublist with the body's lines"),
            ],
        ),
    )
    async def transform(record_type: str, key: str, target: str, request: Request) -> Response:
        authorise(request)
        known_type(record_type)
        known_type(target)
        body = await optional_body(request)
        made = state.transform(
            record_type, key, target, body, replace=request.query_params.get("replace", "") == "item"
        )
        tag(request.scope, *keys_of(made))
        event("created", target, made)
        return created(request, target, made)

    # -- SuiteQL ----------------------------------------------------------------------------------------

    @app.post(
        QUERY_PATH,
        **NETSUITE.operation(
            "Run a SuiteQL query (needs Prefer: transient)",
            {200: Answer("A page of rows", COLLECTION)},
            [400],
            parameters=[
                *PAGING,
                parameter("Prefer", "header", {"const": "transient"}, "Required by SuiteQL", required=True),
            ],
            body=SUITEQL_IN,
            example={"q": "SELECT id, tranid, status FROM transaction ORDER BY id"},
        ),
    )
    async def suiteql(request: Request) -> dict[str, Any]:
        authorise(request)
        if "transient" not in request.headers.get("prefer", "").lower():
            raise NetSuiteError(
                400,
                "INVALID_HEADER",
                "SuiteQL queries must be sent with the header 'Prefer: transient'.",
            )
        body = await json_body(request)
        text = body.get("q")
        if not isinstance(text, str) or not text.strip():
            raise NetSuiteError(400, "INVALID_CONTENT", "The request body needs 'q': a SuiteQL query.", "q")
        extra = set(body) - {"q"}
        if extra:
            raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid field name '{sorted(extra)[0]}'.", sorted(extra)[0])
        limit, offset = paging(request.query_params.get("limit"), request.query_params.get("offset"))
        query = parse_suiteql(text)
        rows = suiteql_rows(query.table)
        if query.where is not None:
            where = query.where
            rows = [row for row in rows if where(row)]
        for name, descending in reversed(query.order):
            rows.sort(key=partial(row_key, name), reverse=descending)
        if query.top is not None:
            rows = rows[: query.top]
        page = rows[offset : offset + limit]
        items = []
        for row in page:
            item: dict[str, Any] = {"links": []}
            for column in query.columns:
                value = display(query.table, column.name, row) if column.display else row.get(column.name)
                if value is not None:
                    item[column.label] = value
            items.append(item)
        href = f"{str(request.base_url).rstrip('/')}{QUERY_PATH}"
        return paged(href, items, len(rows), limit, offset, {})

    def suiteql_rows(table: str) -> list[dict[str, Any]]:
        if table == "transaction":
            return [
                {
                    "id": t.id,
                    "tranid": t.tran_id,
                    "trandate": _netsuite_date(t.tran_date),
                    "type": TRANSACTION_TYPE_CODES[t.type],
                    "recordtype": t.type.lower(),
                    "externalid": t.external_id,
                    "otherrefnum": t.other_ref_num,
                    "memo": t.memo,
                    "entity": t.entity_id,
                    "status": t.status,
                    "createdfrom": t.created_from,
                    "foreigntotal": t.total,
                    "createddate": t.created,
                    "lastmodifieddate": t.modified,
                }
                for table_ in state.transactions.values()
                for t in table_.values()
            ]
        if table == "inventoryitemlocations":
            return [
                {
                    "item": item_id,
                    "location": location_id,
                    "quantityonhand": stock.on_hand,
                    "quantitycommitted": stock.committed,
                    "quantityavailable": stock.available,
                    "quantitybackordered": state.backordered(item_id, location_id),
                }
                for (item_id, location_id), stock in state.bins.items()
            ]
        record_type = {"customer": "customer", "item": "inventoryItem", "location": "location"}[table]
        rows = []
        for entity in state.entities(record_type).values():
            row = {
                "id": entity.id,
                "externalid": entity.external_id,
                "lastmodifieddate": entity.modified,
                "datecreated": entity.created,
                "email": entity.fields.get("email"),
                "displayname": entity.fields.get("displayName"),
            }
            row.update(dict.fromkeys(("entityid", "companyname", "itemid", "name"), entity.name))
            rows.append({k: v for k, v in row.items() if k in TABLES[table]})
        return rows

    def display(table: str, column: str, row: dict[str, Any]) -> Any:
        value = row.get(column)
        if value is None:
            return None
        if table == "transaction" and column == "status":
            record_type = next(t for t, code in TRANSACTION_TYPE_CODES.items() if code == row["type"])
            return f"{records.DISPLAY_TYPES[record_type]} : {state.transactions[record_type][row['id']].status_name}"
        if table == "transaction" and column == "entity":
            return state.customers[value].name
        if table == "inventoryitemlocations":
            return state.items[value].name if column == "item" else state.locations[value].name
        if table == "transaction" and column == "createdfrom":
            return next(t[value].tran_id for t in state.transactions.values() if value in t)
        return value

    return app


def paging(raw_limit: str | None, raw_offset: str | None) -> tuple[int, int]:
    try:
        limit = PAGE_LIMIT if raw_limit is None else int(raw_limit)
        offset = 0 if raw_offset is None else int(raw_offset)
    except ValueError as exc:
        raise NetSuiteError(400, "INVALID_PARAMETER", "limit and offset must be whole numbers.") from exc
    if not 1 <= limit <= PAGE_LIMIT:
        raise NetSuiteError(400, "INVALID_PARAMETER", f"limit must be between 1 and {PAGE_LIMIT}.")
    if offset < 0 or offset % limit:
        raise NetSuiteError(400, "INVALID_PARAMETER", "offset must be a non-negative multiple of limit.")
    return limit, offset


def paged(
    href: str, items: list[dict[str, Any]], total: int, limit: int, offset: int, extra: dict[str, str]
) -> dict[str, Any]:
    """NetSuite's collection page: ``links`` (first, prev, next, last, self), counts and ``hasMore``."""

    def link(rel: str, at: int) -> dict[str, str]:
        return {"rel": rel, "href": f"{href}?{urlencode({**extra, 'limit': limit, 'offset': at})}"}

    last = max((total - 1) // limit * limit, 0)
    links = []
    if offset > 0:
        links.extend([link("first", 0), link("prev", max(offset - limit, 0))])
    if offset + limit < total:
        links.extend([link("next", offset + limit), link("last", last)])
    links.append(link("self", offset))
    return {
        "links": links,
        "count": len(items),
        "hasMore": offset + limit < total,
        "items": items,
        "offset": offset,
        "totalResults": total,
    }


def row_key(column: str, row: dict[str, Any]) -> tuple[int, Any]:
    return sort_key(row.get(column))


def sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    if isinstance(value, int | float):
        return (0, float(value))
    try:
        return (0, float(value))
    except ValueError:
        return (1, str(value))


def _netsuite_date(iso: str) -> str:
    """SuiteQL shows dates in the account's date format (M/D/YYYY by default)."""
    year, month, day = iso.split("-")
    return f"{int(month)}/{int(day)}/{year}"
