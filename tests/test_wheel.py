"""Installable like a Python tool: the built wheel, installed into a fresh virtualenv,
gives a `crmdp` that migrates, creates the demo org and serves it, static files and
listener samples included (nothing read from this source tree).

Offline on purpose (the suite runs without a network): the wheel is built with the
dev install's setuptools, and the fresh virtualenv finds the dependencies (never
crmdp itself) through a path file naming the dev install's site-packages; path
files listed there are not read, so the dev install's editable crmdp stays out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.server.harness import free_port

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.server


def run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[call-overload]
    )
    assert done.returncode == 0, f"{command} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(out: Path) -> Path:
    source = out / "source"  # a copy: building in the tree would leave build/ behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "crmdp", source / "crmdp", ignore=shutil.ignore_patterns("__pycache__"))
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "-w", out, source,
    )  # fmt: skip
    (wheel,) = out.glob("crmdp-*.whl")
    return wheel


def test_the_wheel_installs_a_working_crmdp(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "crmdp/web/static/web/app.css",
        "crmdp/customers/migrations/0001_initial.py",
        "crmdp/listeners/samples/add-contact.json",
    ):
        assert expected in names, expected
    assert any(re.fullmatch(r"crmdp/web/templates/.+\.html", name) for name in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                .stdout.strip())  # fmt: skip
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--disable-pip-version-check", wheel,
    )  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    crmdp = venv / "bin" / "crmdp"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "PYTHONPATH"}}
    env.update(CRMDP_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    work = tmp_path / "elsewhere"  # out of this tree: `import crmdp` cannot find it here
    work.mkdir()
    located = run(
        python, "-c", "import crmdp; print(crmdp.__file__)", env=env, cwd=work
    ).stdout.strip()
    assert Path(located).is_relative_to(site), located  # the wheel's, not this tree's
    run(crmdp, "migrate", "--no-input", "-v0", env=env, cwd=work)
    demo = run(crmdp, "demo", env=env, cwd=work).stdout
    listener = re.search(r"listener:\s+\S+/listener/(\S+)", demo)
    assert listener, demo
    sample = re.search(r"--data @(\S+add-contact\.json)", demo)
    assert sample and Path(sample.group(1)).is_relative_to(site), demo

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [crmdp, "serve", "--no-worker", "--processes", "1", "--port", str(port)],
        env=env,
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                    assert 'href="/static/web/app.css"' in response.read().decode()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "crmdp serve did not answer"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/static/web/app.css", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/css")
        request = urllib.request.Request(
            f"{base}/listener/{listener.group(1)}",
            data=Path(sample.group(1)).read_bytes(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["results"][0]["status"] == "created"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
