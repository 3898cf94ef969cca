"""The web console: a FastAPI JSON API and a static single-page app over run folders.

It reads runs through :mod:`dataerrors.store` and writes only through :mod:`dataerrors.edits`.
Start it with ``dataerrors console RUN_OR_ROOT`` or ``run.console()``. Needs the ``console``
extra (fastapi, uvicorn, plotly).
"""
