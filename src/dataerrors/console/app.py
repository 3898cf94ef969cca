"""Build the console's FastAPI application: API routers, error shape, static files, Plotly.js."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..edit_requests import default_author
from ..errors import InvalidInputError
from .access import TokenMiddleware
from .catalog import RunCatalog
from .errors import install_error_handlers, not_found
from .routes import edits, exports, map, media, metrics, runs, samples

STATIC_FOLDER = Path(__file__).parent / "static"
ROUTERS = (runs.router, samples.router, media.router, map.router, metrics.router, edits.router,
           exports.router)


def create_app(
    target: str | Path,
    user: str | None = None,
    allowed_hosts: list[str] | None = None,
    token: str | None = None,
) -> FastAPI:
    """Return the console application serving the run folder or runs root ``target``.

    Parameters
    ----------
    target : path
        A run folder (with ``run.json``) or a root holding ``<project>/<run>`` folders.
    user : str, optional
        Author recorded with the edits made through this console. Default: the OS user name.
    allowed_hosts : list of str, optional
        Host names the server answers to (others get 400), which stops DNS-rebinding pages
        from reading a console on 127.0.0.1. Default: any host.
    token : str, optional
        Access token that every request must carry (see :mod:`dataerrors.console.access`).
        Default: none, for a console bound to a loopback address.
    """
    folder = Path(target)
    if not folder.is_dir():
        raise InvalidInputError(
            f"target={str(target)!r} is not a folder; pass a run folder or a runs root."
        )
    if user is not None and (not isinstance(user, str) or not user.strip()):
        raise InvalidInputError(f"user={user!r} is invalid; pass a non-empty name.")
    app = FastAPI(
        title="dataerrors console",
        summary="Find, understand and fix the data errors of a logged training run.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.catalog = RunCatalog(folder)
    app.state.user = user.strip() if user else default_author()
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_FOLDER), name="static")
    app.add_api_route("/vendor/plotly.min.js", _plotly, include_in_schema=False)
    app.add_api_route("/", _index, include_in_schema=False)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    if token is not None:
        if not isinstance(token, str) or len(token) < 16:
            raise InvalidInputError("token is too short; use at least 16 characters, or none "
                                    "to have one generated.")
        app.add_middleware(TokenMiddleware, token=token)
    return app


def _index() -> FileResponse:
    return FileResponse(STATIC_FOLDER / "index.html", headers={"Cache-Control": "no-cache"})


def _plotly() -> FileResponse:
    try:
        import plotly
    except ModuleNotFoundError:
        raise not_found("plotly is not installed; pip install 'dataerrors[console]'.") from None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise not_found(f"{path} is missing from the installed plotly package; reinstall plotly.")
    return FileResponse(path, media_type="text/javascript",
                        headers={"Cache-Control": "private, max-age=86400"})
