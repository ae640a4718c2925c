"""Production settings are secure by default: `crmdp check --deploy --fail-level
WARNING` passes with only SECRET_KEY and ALLOWED_HOSTS set, while the quick start
(no variable at all) still serves plain http on 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from crmdp.listeners.models import Delivery
from tests.conftest import SENDER

SECURITY = [
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "DEBUG",
]
# Exactly the checks docs/operations.md justifies silencing.
JUSTIFIED_SILENCED = {"security.W005", "security.W021"}


def crmdp(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "CRMDP_HTTPS", "DATABASE_URL"}
        and not key.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    env |= {"CRMDP_DATA_DIR": str(tmp_path), **variables}
    return subprocess.run(
        [sys.executable, "-m", "crmdp", *args], env=env, capture_output=True, text=True, timeout=60
    )


def security_settings(tmp_path: Path, **variables: str) -> dict[str, object]:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SECURITY!r}}}))"
    )
    done = crmdp(tmp_path, "shell", "--verbosity", "0", "-c", code, **variables)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def production(**more: str) -> dict[str, str]:
    return {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crm.example.com", **more}


def test_the_deploy_check_passes_with_production_settings(tmp_path):
    done = crmdp(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_settings_are_https_only(tmp_path):
    assert security_settings(tmp_path, **production()) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "DEBUG": False,
    }


def test_the_quick_start_serves_plain_http_on_loopback(tmp_path):
    assert security_settings(tmp_path) == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "DEBUG": False,
    }


@pytest.mark.parametrize(
    ("hosts", "https"),
    [
        ("127.0.0.2,localhost,app.localhost,[::1]", False),  # all of 127.0.0.0/8 is loopback
        ("127.0.0.1,10.0.0.5", True),  # one LAN address is enough to leave the machine
        ("127.0.0.1.example.com", True),  # a name that only starts like an address
    ],
)
def test_https_is_on_as_soon_as_a_host_is_not_loopback(tmp_path, hosts, https):
    found = security_settings(tmp_path, ALLOWED_HOSTS=hosts)
    assert found["SECURE_SSL_REDIRECT"] is https and found["SESSION_COOKIE_SECURE"] is https


def test_turning_https_off_in_production_is_reported_by_the_check(tmp_path):
    done = crmdp(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production(CRMDP_HTTPS="off")
    )
    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in done.stderr


@pytest.mark.parametrize("variable", ["SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT"])
def test_each_https_setting_can_be_set_on_its_own(tmp_path, variable):
    value = "0" if variable == "SECURE_HSTS_SECONDS" else "off"
    found = security_settings(tmp_path, **production(**{variable: value}))
    assert found[variable] in (0, False)
    assert found["SESSION_COOKIE_SECURE"] is True


def test_only_justified_checks_are_silenced():
    from django.conf import settings

    assert set(settings.SILENCED_SYSTEM_CHECKS) == JUSTIFIED_SILENCED
    operations = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    checklist = operations.split("## Security checklist", 1)[1]
    for check in JUSTIFIED_SILENCED:
        assert check in checklist


@pytest.fixture
def https_only(tmp_path, settings):
    """This process with the security settings production gets (read from a child)."""
    for name, value in security_settings(tmp_path, **production()).items():
        setattr(settings, name, value)


def test_with_production_settings_plain_http_is_redirected_unread(https_only, post):
    page = Client().get("/login/")
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/login/"
    posted = post({"senderUser": SENDER, "data": [{"actionType": "add-lead", "data": {}}]})
    assert posted.status == 301
    assert not Delivery.objects.exists()  # a listener URL is not answered in clear


def test_with_production_settings_https_answers_carry_hsts_and_secure_cookies(https_only, db):
    page = Client().get("/login/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000"
    assert page.cookies["csrftoken"]["secure"]


def test_gunicorn_believes_x_forwarded_proto_only_from_the_trusted_proxies(tmp_path):
    code = "import crmdp.web.gunicorn_conf as c; print(getattr(c, 'forwarded_allow_ips', None))"
    read = [
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "TRUSTED_PROXIES": proxies},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for proxies in ("10.1.0.0/16, 192.0.2.7", "")
    ]
    assert read == ["10.1.0.0/16,192.0.2.7/32", "None"]  # None: gunicorn's loopback


def test_a_limit_that_cannot_be_read_stops_the_start_and_names_the_variable(tmp_path):
    done = crmdp(tmp_path, "check", CRMDP_LOCK_SLOTS="lots")
    assert done.returncode != 0
    assert "CRMDP_LOCK_SLOTS must be a whole number, not 'lots'" in done.stderr
