"""The one error shape of the console API: ``{"status", "message", "errors": [{field, message}]}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InvalidInputError, RunNotFoundError, SchemaVersionError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API returns as it is: an HTTP status, a message and optional field errors."""

    def __init__(
        self, status: int, message: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error response of ``app`` use the one error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(RunNotFoundError, _run_not_found)
    app.add_exception_handler(SchemaVersionError, _schema_version)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def error_response(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message, "errors": errors or []}
    return JSONResponse(body, status_code=status)


def _logged(request: Request, status: int, message: str,
            errors: list[dict[str, str]] | None = None) -> JSONResponse:
    logger.info("%s %s failed with %d: %s", request.method, request.url.path, status, message)
    return error_response(status, message, errors)


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return _logged(request, error.status, error.message, error.errors)


async def _invalid_input(request: Request, error: Exception) -> JSONResponse:
    return _logged(request, 400, str(error))


async def _run_not_found(request: Request, error: Exception) -> JSONResponse:
    return _logged(request, 404, str(error))


async def _schema_version(request: Request, error: Exception) -> JSONResponse:
    return _logged(request, 409, str(error))


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ()) if part not in ("query", "path", "body")]
        fields.append({"field": ".".join(location) or "request", "message": str(problem.get("msg"))})
    summary = "; ".join(f"{entry['field']}: {entry['message']}" for entry in fields)
    return _logged(request, 422, f"invalid request parameters ({summary})", fields)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    message = str(error.detail) if error.detail else "request failed"
    if error.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return _logged(request, error.status_code, message)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(500, f"internal error: {type(error).__name__}: {error}")
