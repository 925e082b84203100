"""NetSuite's error shape (RFC 9457-style problem details with ``o:errorDetails``)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_TYPES = {
    400: f"{_RFC2616}#sec10.4.1",
    401: f"{_RFC2616}#sec10.4.2",
    403: f"{_RFC2616}#sec10.4.4",
    404: f"{_RFC2616}#sec10.4.5",
    405: f"{_RFC2616}#sec10.4.6",
    409: f"{_RFC2616}#sec10.4.10",
    415: f"{_RFC2616}#sec10.4.16",
    429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    500: f"{_RFC2616}#sec10.5.1",
    503: f"{_RFC2616}#sec10.5.4",
}
"""NetSuite points ``type`` at RFC 2616's status sections (as its documented examples show); 429 is
not in RFC 2616, so it points at RFC 6585."""


class NetSuiteError(Exception):
    def __init__(self, status: int, error_code: str, detail: str, error_path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.error_path = error_path

    def body(self) -> dict[str, object]:
        entry: dict[str, object] = {"detail": self.detail, "o:errorCode": self.error_code}
        if self.error_path:
            entry["o:errorPath"] = self.error_path
        return {
            "type": _TYPES.get(self.status, _TYPES[400]),
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "o:errorDetails": [entry],
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def invalid_login() -> NetSuiteError:
    return NetSuiteError(
        401,
        "INVALID_LOGIN",
        "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup >"
        " Users/Roles > User Management > View Login Audit Trail.",
    )


def record_not_found() -> NetSuiteError:
    return NetSuiteError(
        404, "NONEXISTENT_ID", "The record instance does not exist. Provide a valid record instance ID."
    )
