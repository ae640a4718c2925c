"""Which Chromium the browser tests drive. Never a skip: no browser is a failure that
says what to install.

In order: `CRMDP_CHROMIUM` (a path), the system's (`chromium`, `chromium-browser`,
`google-chrome` on PATH), Playwright's own (`playwright install chromium`). When
there is none, Playwright's installer is tried once (it needs no root: the browser
goes to the user's cache); when that fails too, the tests fail with one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Playwright

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WHAT_TO_INSTALL = (
    "no Chromium for the browser tests: install one (Debian/Ubuntu: apt-get install "
    "chromium), or run `.venv/bin/playwright install chromium`, or set CRMDP_CHROMIUM "
    "to a Chromium's path"
)


class NoBrowser(RuntimeError):
    """No Chromium could be found or installed (the message says what to install)."""


# Per process, failure included: the installer is tried at most once per test worker.
_found: list[str | NoBrowser] = []


def find_chromium(playwright: Playwright) -> str:
    """The path of the Chromium to launch (installing Playwright's, once, if none)."""
    if not _found:
        try:
            _found.append(_find(playwright))
        except NoBrowser as error:
            _found.append(error)
    if isinstance(_found[0], NoBrowser):
        raise _found[0]
    return _found[0]


def _find(playwright: Playwright) -> str:
    chosen = os.environ.get("CRMDP_CHROMIUM", "").strip()
    if chosen:
        if not _runnable(chosen):
            raise NoBrowser(f"CRMDP_CHROMIUM={chosen} is not an executable file")
        return chosen
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    own = _playwright_own(playwright)
    if own:
        return own
    installed = subprocess.run(
        [sys.executable, "-m", "playwright", "install", "chromium"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    own = _playwright_own(playwright)
    if installed.returncode == 0 and own:
        return own
    raise NoBrowser(WHAT_TO_INSTALL)


def _playwright_own(playwright: Playwright) -> str | None:
    """Playwright's own Chromium, when `playwright install chromium` has put it there."""
    path = playwright.chromium.executable_path
    return path if path and _runnable(path) else None


def _runnable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)
