"""Issue 13, point 12, against a real `crmdp serve`: failed logins lock the account
(over real sockets, with the CSRF dance a browser does), every answer carries a
Content-Security-Policy, a bad Host header is one log line, and the data directory
and database files are private."""

from __future__ import annotations

import re
import secrets
import stat
import time

import pytest
import requests

from crmdp.web.csp import POLICY
from tests.server.live import LiveServer, Tenant


def log_in(served: LiveServer, email: str, password: str) -> tuple[bool, str]:
    session = requests.Session()
    page = session.get(f"{served.base}/login/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf, page
    answer = session.post(
        f"{served.base}/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": csrf.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    return answer.status_code == 302, answer.text


@pytest.mark.server
def test_guessing_a_password_locks_the_account_until_the_operator_unlocks_it(
    served: LiveServer, tenant: Tenant
) -> None:
    email = f"target-{secrets.token_hex(4)}@live.example"
    served.crmdp(
        "user", "add", "--org", "Live Org", "--email", email, "--password", "right-pass-42"
    )
    try:
        assert log_in(served, email, "right-pass-42")[0]
        for n in range(5):
            assert not log_in(served, email, f"guess-{n}")[0]
        entered, page = log_in(served, email, "right-pass-42")
        assert not entered
        assert "Too many failed logins" in page
        served.crmdp("user", "unlock", "--email", email)
        assert log_in(served, email, "right-pass-42")[0]
    finally:
        # The failures counted against 127.0.0.1 too: other tests log in from there.
        served.crmdp("user", "unlock", "--client", "127.0.0.1")


@pytest.mark.server
def test_every_answer_carries_the_content_security_policy(
    served: LiveServer, tenant: Tenant
) -> None:
    answers = {
        "login page": served.request("GET", "/login/"),
        "page behind login": served.request("GET", "/contacts/"),
        "unknown page": served.request("GET", "/no-such-page/"),
        "API without token": served.request("GET", "/api/v1/customers"),
        "listener": served.request("POST", tenant.listener_path, b"{not json"),
        "health probe": served.request("GET", "/healthz"),
        "static file": served.request("GET", "/static/web/app.css"),
        "bad Host": served.request("GET", "/login/", headers={"Host": "evil.example"}),
    }
    for name, answer in answers.items():
        assert answer.headers.get("content-security-policy") == POLICY, name
    assert "script-src 'self'" in POLICY
    assert "frame-ancestors 'none'" in POLICY


@pytest.mark.server
def test_a_bad_host_header_is_logged_as_one_line_without_a_traceback(
    served: LiveServer,
) -> None:
    marker = f"probe-{secrets.token_hex(6)}.example"
    answer = served.request("GET", "/login/", headers={"Host": marker})
    assert answer.status == 400
    deadline = time.monotonic() + 10
    while marker not in served.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = served.log_text().splitlines()
    mentions = [i for i, line in enumerate(lines) if marker in line and "HTTP_HOST" in line]
    assert len(mentions) == 1, [lines[i] for i in mentions]
    line = lines[mentions[0]]
    assert "WARNING django.security.DisallowedHost: Invalid HTTP_HOST header" in line
    assert "ALLOWED_HOSTS" not in line
    following = lines[mentions[0] + 1] if mentions[0] + 1 < len(lines) else ""
    assert not following.startswith("Traceback")


@pytest.mark.server
def test_the_data_directory_and_database_files_are_private(served: LiveServer) -> None:
    data = served.root / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    if served.postgres_database:
        return  # PostgreSQL keeps its files itself
    files = [data / "crmdp.sqlite3", data / "crmdp.sqlite3-wal", data / "crmdp.sqlite3-shm"]
    for path in files:
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (data / "crmdp.sqlite3").exists()
