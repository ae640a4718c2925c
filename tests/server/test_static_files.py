"""`crmdp serve` (gunicorn, DEBUG off) serves the UI's styles itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.server
def test_serve_shows_a_styled_login_page_with_debug_off(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CRMDP_DATA_DIR": str(tmp_path), "DEBUG": ""}
    env.pop("DATABASE_URL", None)  # its own SQLite file: never the test run's database
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "crmdp", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # As the harness waits (90 s): on a loaded two-core machine gunicorn's start
        # alone has taken over 30.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                    login = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "crmdp serve did not answer in 90 s"
                time.sleep(0.2)
        assert 'href="/static/web/app.css"' in login
        with urllib.request.urlopen(f"{base}/static/web/app.css", timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/css")
            assert "--primary" in response.read().decode()
        with urllib.request.urlopen(f"{base}/static/web/app.js", timeout=5) as response:
            assert "testConsole" in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
