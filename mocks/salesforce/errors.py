"""Salesforce's error shape: always a JSON array of ``{message, errorCode, fields}``."""

from __future__ import annotations

from fastapi.responses import JSONResponse


class SalesforceError(Exception):
    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, object]]:
        entry: dict[str, object] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


class MultipleChoices(SalesforceError):
    """300 from an external id that matches several records: the body lists their URLs, not errors."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", "more than one record matches the external id")
        self.urls = urls

    def body(self) -> list[str]:  # type: ignore[override]
        return self.urls


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
