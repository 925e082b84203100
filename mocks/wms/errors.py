"""ShipBob's error shapes.

ShipBob's API is ASP.NET: a refused body is a validation problem (``title``, ``status``,
``errors: {field: [messages]}``); a duplicate ``reference_id`` is a 422 in that shape (the
vendor's documented "Duplicate reference ID" status). A missing or unknown token is a bare 401 with
``WWW-Authenticate: Bearer`` and no body, a token without access to the channel a bare 403, as the
framework's JWT handler answers.
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    422: "https://tools.ietf.org/html/rfc4918#section-11.2",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
}
_TITLES = {
    400: "One or more validation errors occurred.",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    500: "An error occurred while processing your request.",
}


class ShipBobError(Exception):
    def __init__(self, status: int, errors: dict[str, list[str]] | None = None, title: str | None = None) -> None:
        super().__init__(title or _TITLES.get(status, "Error"))
        self.status = status
        self.errors = errors or {}
        self.title = title or _TITLES.get(status, "Error")

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "type": _TYPES.get(self.status, _TYPES[400]),
            "title": self.title,
            "status": self.status,
        }
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status)


class Unauthorized(Exception):
    """No valid token: the bare 401 the vendor's JWT middleware sends."""

    def response(self) -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Exception):
    """A valid token without the channel access the request needs."""

    def response(self) -> Response:
        return Response(status_code=403)


def invalid(field: str, message: str) -> ShipBobError:
    return ShipBobError(400, {field: [message]})


def not_found(what: str) -> ShipBobError:
    return ShipBobError(404, title=f"{what} not found")
