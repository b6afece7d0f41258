"""``notices serve`` on the command line: what it refuses, each in one line with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from desk_browser import sample_workspace

from notices.cli import main


@pytest.fixture
def root(tmp_path) -> Path:
    return sample_workspace(tmp_path / "ws")


@pytest.mark.parametrize("args, message", [
    (["--host", "0.0.0.0"], "--host: 0.0.0.0 can be reached from other machines, and "
     "notices serve has no login; add --allow-remote if that is what you want"),
    (["--host", "192.0.2.1", "--port", "0"], "--host: 192.0.2.1 can be reached"),
])
def test_serve_refuses_other_addresses_without_allow_remote(runner, root, args, message):
    result = runner.invoke(main, ["-C", str(root), "serve", "--no-browser", *args])
    assert result.exit_code == 2 and message in result.output


def test_serve_without_its_extra_names_the_install(runner, root, monkeypatch):
    monkeypatch.setattr("notices.serve.missing_packages", lambda: ["starlette", "uvicorn"])
    result = runner.invoke(main, ["-C", str(root), "serve", "--no-browser"])
    assert result.exit_code == 2
    assert result.output == ("notices serve needs starlette, uvicorn: "
                             "pip install 'notices[serve]'\n")


def test_a_taken_port_is_one_line(runner, root):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["-C", str(root), "serve", "--no-browser", "--port",
                                      str(port)])
    finally:
        taken.close()
    assert result.exit_code == 2
    assert result.output == f"--port: 127.0.0.1:{port} is in use (choose another with --port)\n"
