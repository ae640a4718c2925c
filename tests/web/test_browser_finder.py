"""Which Chromium the browser tests take, and the one line they fail with when there is
none (tests/web/browser.py). A fake Playwright stands in for the real one: these tests
are about the choice, the browser tests themselves prove the launch."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.web import browser


def executable(path: Path) -> str:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def fake_playwright(own: str) -> Any:
    return SimpleNamespace(chromium=SimpleNamespace(executable_path=own))


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """No CRMDP_CHROMIUM, an empty PATH, nothing cached; the installer's commands are
    recorded (and fail, as with no network) instead of run."""
    monkeypatch.delenv("CRMDP_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(browser, "_found", [])
    installs: list[list[str]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        installs.append(command)
        return subprocess.CompletedProcess(command, 1, "", "download failed")

    monkeypatch.setattr(browser.subprocess, "run", run)
    return installs


def test_crmdp_chromium_comes_first(bare, monkeypatch, tmp_path):
    chosen = executable(tmp_path / "my-chromium")
    monkeypatch.setenv("CRMDP_CHROMIUM", chosen)
    (tmp_path / "empty").mkdir()
    executable(tmp_path / "empty" / "chromium")
    assert browser.find_chromium(fake_playwright(executable(tmp_path / "own"))) == chosen


def test_a_crmdp_chromium_that_is_not_there_fails_rather_than_falling_back(bare, monkeypatch):
    monkeypatch.setenv("CRMDP_CHROMIUM", "/nowhere/chromium")
    with pytest.raises(browser.NoBrowser, match="CRMDP_CHROMIUM=/nowhere/chromium"):
        browser.find_chromium(fake_playwright("/nowhere/own"))


def test_the_system_chromium_before_playwrights_own(bare, tmp_path):
    (tmp_path / "empty").mkdir()
    system = executable(tmp_path / "empty" / "chromium")
    assert browser.find_chromium(fake_playwright(executable(tmp_path / "own"))) == system


def test_playwrights_own_when_there_is_no_system_one(bare, tmp_path):
    own = executable(tmp_path / "own")
    assert browser.find_chromium(fake_playwright(own)) == own
    assert bare == []  # nothing installed


def test_none_anywhere_tries_playwrights_installer_once_then_fails_with_one_line(bare):
    for _ in range(3):
        with pytest.raises(browser.NoBrowser) as raised:
            browser.find_chromium(fake_playwright("/nowhere/own"))
    message = str(raised.value)
    assert "\n" not in message
    assert "apt-get install chromium" in message
    assert "playwright install chromium" in message
    assert len(bare) == 1
    assert bare[0][-3:] == ["playwright", "install", "chromium"]
    assert "--with-deps" not in bare[0]  # that one needs root


def test_the_installed_one_is_taken_when_the_installer_works(bare, monkeypatch, tmp_path):
    own = tmp_path / "own"

    def install(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        executable(own)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(browser.subprocess, "run", install)
    assert browser.find_chromium(fake_playwright(str(own))) == str(own)
