"""EasyPost's error shape: ``{"error": {"code", "message", "errors": [{"field", "message"}]}}``.

The official clients map the status code to an exception class and read ``error.message``; an
integration that branches on ``error.code`` sees the same dotted codes the vendor uses.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse


class EasyPostError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def unauthorized() -> EasyPostError:
    return EasyPostError(401, "APIKEY.REQUIRED", "Unauthorized. Please check credentials and try again.")


def not_found(kind: str) -> EasyPostError:
    return EasyPostError(404, "NOT_FOUND", f"The requested resource could not be found. ({kind})")


def required(field: str) -> EasyPostError:
    return EasyPostError(
        422,
        "PARAMETER.REQUIRED",
        f"Missing required parameter: {field}.",
        [{"field": field, "message": "cannot be blank"}],
    )


def invalid(field: str, message: str) -> EasyPostError:
    return EasyPostError(
        422, "PARAMETER.INVALID", f"Invalid parameter: {field}.", [{"field": field, "message": message}]
    )
