"""Run the console with uvicorn, in the foreground (CLI) or in a background thread (notebooks)."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import InvalidInputError
from .access import TOKEN_PARAMETER, is_loopback, new_token

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
#: Port tried first when none is given; a free port is taken when it is busy.
DEFAULT_PORT = 8765
#: Seconds to wait for a background server to start.
START_TIMEOUT = 30.0


@dataclass
class ConsoleServer:
    """A console server running in a background thread. ``url`` includes the access token."""

    url: str
    _server: object
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait up to ``timeout`` seconds for its thread."""
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout)


def bind_socket(host: str, port: int | None) -> socket.socket:
    """Return a listening socket on ``host``: ``port``, or the default port, or any free port.

    An explicit ``port`` that is busy raises :class:`InvalidInputError`.
    """
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535):
        raise InvalidInputError(f"port={port!r} is invalid; pass an int in [0, 65535].")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    candidates = [port] if port is not None else [DEFAULT_PORT, 0]
    last_error: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except socket.gaierror as error:
            sock.close()
            if error.errno == socket.EAI_NONAME:
                raise InvalidInputError(
                    f"host={host!r} is not an address of this machine ({error.strerror}); pass "
                    "an address such as 127.0.0.1 or 0.0.0.0 (every interface)."
                ) from error
            raise InvalidInputError(
                f"cannot resolve host={host!r} ({error.strerror}); pass an IP address such as "
                "127.0.0.1 instead of a name."
            ) from error
        except OSError as error:
            sock.close()
            last_error = error
            continue
        sock.listen(128)
        return sock
    if last_error is not None and last_error.errno == errno.EADDRNOTAVAIL:
        raise InvalidInputError(
            f"host={host!r} is not an address of this machine ({last_error.strerror}); pass an "
            "address such as 127.0.0.1 or 0.0.0.0 (every interface)."
        )
    raise InvalidInputError(
        f"cannot listen on {host}:{port} ({last_error}); pass another --port, or 0 for any free port."
    )


def url_of(sock: socket.socket, token: str | None = None) -> str:
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    query = f"?{TOKEN_PARAMETER}={token}" if token else ""
    return f"http://{shown}:{port}/{query}"


def access_token(host: str, token: str | None) -> str | None:
    """Return the token the console requires: none on loopback, else ``token`` or a new one."""
    if is_loopback(host):
        return token
    return token if token is not None else new_token()


def allowed_hosts(host: str) -> list[str]:
    """Return the Host header values to accept: loopback names on loopback, anything otherwise."""
    return ["127.0.0.1", "localhost", "::1", "[::1]"] if is_loopback(host) else ["*"]


def build_server(target: str | Path, host: str, user: str | None, token: str | None):  # type: ignore[no-untyped-def]
    """Return a uvicorn Server for the console app (not started)."""
    import uvicorn

    from .app import create_app

    app = create_app(target, user=user, allowed_hosts=allowed_hosts(host), token=token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def serve(
    target: str | Path,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    user: str | None = None,
    on_start: Callable[[str], None] | None = None,
    token: str | None = None,
) -> None:
    """Serve the console in this thread until interrupted; ``on_start(url)`` runs once bound.

    Bound to anything but a loopback address, the console requires an access token: ``token``,
    or a new random one, which the URL passed to ``on_start`` carries.
    """
    token = access_token(host, token)
    sock = bind_socket(host, port)
    server = build_server(target, host, user, token)
    if on_start is not None:
        on_start(url_of(sock, token))
    logger.info("console serving %s at %s", target, url_of(sock))
    server.run(sockets=[sock])
    logger.info("console stopped")


def start_in_thread(
    target: str | Path, host: str = DEFAULT_HOST, port: int | None = None, user: str | None = None,
    token: str | None = None,
) -> ConsoleServer:
    """Start the console in a daemon thread and return once it accepts connections.

    The returned URL carries the access token when the host is not a loopback address.
    """
    token = access_token(host, token)
    sock = bind_socket(host, port)
    server = build_server(target, host, user, token)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="dataerrors-console")
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        raise RuntimeError(f"the console did not start within {START_TIMEOUT:.0f} s; see the log.")
    logger.info("console serving %s at %s", target, url_of(sock))
    return ConsoleServer(url_of(sock, token), server, thread)
