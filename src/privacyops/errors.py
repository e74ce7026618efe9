"""One error shape for every refusal: `{"error": {"code", "message", "field"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


class AppError(Exception):
    """A refusal the caller can act on; raised by routes, never by services."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.field = field


class LoginRequiredError(Exception):
    """A console page was opened without a staff session: send the browser to log in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status)


def _field_of(location: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, error: AppError) -> Response:
        return error_response(error.status, error.code, error.message, error.field)

    @app.exception_handler(LoginRequiredError)
    async def _login(_request: Request, error: LoginRequiredError) -> Response:
        return RedirectResponse(f"/admin/login?next={error.next_path}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        field = _field_of(first.get("loc", ()))
        message = str(first.get("msg", "invalid request"))
        if first.get("type") == "json_invalid":
            field, message = None, "the body is not valid JSON"
        elif field:
            message = f"{field}: {message}"
        return error_response(422, "invalid", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> Response:
        code = STATUS_CODES.get(error.status_code, "error")
        detail = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        return error_response(error.status_code, code, detail)

    @app.exception_handler(DataError)
    async def _data(_request: Request, _error: DataError) -> Response:
        """Values the database cannot store (a NUL byte, an out-of-range number) are input errors.

        The request's unit of work has already rolled back, so nothing was changed.
        """
        return error_response(422, "invalid", "a value cannot be stored (NUL byte or out of range)")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _error: Exception) -> Response:
        return error_response(500, "internal", "an internal error occurred; it has been logged")
