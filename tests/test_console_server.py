from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import dataerrors
from dataerrors.console.server import allowed_hosts, bind_socket, start_in_thread
from dataerrors.errors import InvalidInputError
from tests.console_support import make_synthetic_run

SOURCE = Path(__file__).resolve().parents[1] / "src"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dataerrors.Run:
    return make_synthetic_run(tmp_path_factory.mktemp("runs"), n_train=20, n_test=5)


def test_background_server_answers_and_stops(run: dataerrors.Run) -> None:
    server = start_in_thread(run.folder, port=0, user="ana")
    try:
        assert server.url.startswith("http://127.0.0.1:")
        body = get_json(server.url + "api/runs/project/run")
        assert body["user"] == "ana"
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        get_json(server.url + "api/runs")


def test_run_console_returns_the_same_url(run: dataerrors.Run) -> None:
    url = run.console(port=0)
    try:
        assert run.console() == url
        assert [entry["key"] for entry in get_json(url + "api/runs")["runs"]] == ["project/run"]
    finally:
        run.stop_console()
    run.stop_console()


def test_busy_port_raises() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(InvalidInputError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind_socket("127.0.0.1", port)


@pytest.mark.parametrize("port", [-1, 70000, "80", True])
def test_invalid_port_raises(port: object) -> None:
    with pytest.raises(InvalidInputError, match="is invalid; pass an int"):
        bind_socket("127.0.0.1", port)  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["8.8.8.8.8", "192.0.2.1"])
def test_unknown_host_names_the_host(host: str) -> None:
    # A malformed name, and an address of another machine (TEST-NET-1, never local).
    with pytest.raises(InvalidInputError, match=f"host='{host}' is not an address of this machine"):
        bind_socket(host, 0)


def test_allowed_hosts_follow_the_bind_address() -> None:
    assert "localhost" in allowed_hosts("127.0.0.1")
    assert "localhost" in allowed_hosts("::1")
    assert "localhost" in allowed_hosts("localhost")
    assert allowed_hosts("0.0.0.0") == ["*"]


def test_cli_serves_until_stopped(run: dataerrors.Run) -> None:
    environment = {**os.environ, "PYTHONPATH": f"{SOURCE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dataerrors.cli", "console", str(run.folder.parent.parent), "--port", "0", "--user", "cli-user"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stderr.read()
        assert get_json(match.group(1) + "api/runs/project/run")["user"] == "cli-user"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_cli_rejects_a_missing_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dataerrors.cli import main

    result = CliRunner().invoke(main, ["console", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
