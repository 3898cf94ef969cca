"""Access token for a console bound to a non-loopback address.

On 127.0.0.1 only local processes reach the console. On any other address every request must
carry the token: as ``Authorization: Bearer <token>``, as ``?token=<token>`` (the URL the server
prints), or as the cookie that the first request with ``?token=`` sets, so the page's own API
calls carry it without the user doing anything.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

TOKEN_COOKIE = "dataerrors_token"
TOKEN_PARAMETER = "token"


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is a loopback address or ``localhost``."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def new_token() -> str:
    """Return a random token of 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


class TokenMiddleware(BaseHTTPMiddleware):
    """Reject every request that does not carry ``token`` with 401 in the API's error shape."""

    def __init__(self, app: object, token: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        from_query = request.query_params.get(TOKEN_PARAMETER)
        given = from_query or request.cookies.get(TOKEN_COOKIE) or _bearer(request)
        if given is None or not hmac.compare_digest(given, self._token):
            return JSONResponse(
                {"status": 401, "message": "missing or invalid access token; open the URL that "
                 "`dataerrors console` printed (it ends in ?token=...).", "errors": []},
                status_code=401,
            )
        response = await call_next(request)
        if from_query is not None:
            response.set_cookie(TOKEN_COOKIE, self._token, httponly=True, samesite="strict")
        return response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
