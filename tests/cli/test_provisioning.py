"""The operator's command line (SPEC §8): the real `crmdp` console script against a
fresh SQLite database in a temporary data directory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from crmdp.listeners.models import Listener
from crmdp.orgs.models import Org, User
from crmdp.orgs.services import field_add, group_get_or_create, org_create
from tests.conftest import SAMPLES, SENDER

CRMDP = Path(sys.executable).with_name("crmdp")


def crmdp(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env["CRMDP_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(CRMDP), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def printed(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON object a successful `--json` command prints."""
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crmdp-data")
    migrated = crmdp(path, "migrate", "--no-input", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    assert (path / "crmdp.sqlite3").exists()
    return path


@pytest.fixture(scope="module")
def acme(data_dir: Path) -> dict[str, Any]:
    """An org made once for the module, with the guide's sender as its owner."""
    return printed(crmdp(data_dir, "org", "create", "--name", "Acme", "--owner", SENDER, "--json"))


# -- what each command prints ---------------------------------------------------------


def test_org_create_prints_id_name_owner_and_api_token(data_dir):
    org = printed(
        crmdp(
            data_dir,
            "org",
            "create",
            "--name",
            "Beta Co",
            "--owner",
            " Boss@Beta.example ",
            "--phone-region",
            "us",
            "--currency",
            "usd",
            "--password",
            "s3cret-pass",
            "--json",
        )
    )
    assert set(org) == {"id", "name", "owner", "apiToken"}
    assert isinstance(org["id"], int)
    assert (org["name"], org["owner"]) == ("Beta Co", "boss@beta.example")
    assert org["apiToken"].startswith("crmdp_")
    listing = printed(crmdp(data_dir, "org", "list", "--json"))
    # The country defaults to the phone region, the timezone to the country's main one.
    assert {
        "id": org["id"],
        "name": "Beta Co",
        "phoneRegion": "US",
        "country": "US",
        "timezone": "America/New_York",
    } in listing["orgs"]


def test_user_add_prints_email_role_and_api_token(data_dir, acme):
    user = printed(
        crmdp(
            data_dir,
            "user",
            "add",
            "--org",
            str(acme["id"]),
            "--email",
            "Mai@Acme.example",
            "--role",
            "admin",
            "--group",
            "Sales",
            "--group",
            "Support",
            "--json",
        )
    )
    assert user == {"email": "mai@acme.example", "role": "admin", "apiToken": user["apiToken"]}
    assert user["apiToken"].startswith("crmdp_")
    assert user["apiToken"] != acme["apiToken"]


def test_the_org_is_named_by_its_name_in_any_case(data_dir, acme):
    user = printed(
        crmdp(data_dir, "user", "add", "--org", " aCmE ", "--email", "a@acme.example", "--json")
    )
    assert user["role"] == "member"


def test_listener_create_prints_id_token_and_url(data_dir, acme):
    listener = printed(
        crmdp(
            data_dir,
            "listener",
            "create",
            "--org",
            "Acme",
            "--name",
            "Web form",
            "--allow-ip",
            "10.0.0.0/8",
            "--allow-ip",
            "203.0.113.7",
            "--default-tag",
            "website",
            "--contact-source",
            "Website",
            "--lead-source",
            "Website lead",
            "--email-subject",
            "Welcome {{ name }}",
            "--email-body",
            "Hello {{ name }}",
            "--sms-text",
            "Hi {{ name }}",
            "--rate-limit",
            "60",
            "--json",
        )
    )
    assert set(listener) == {"id", "token", "url"}
    assert listener["url"] == f"/listener/{listener['token']}"
    # At least 128 random bits, URL-safe.
    assert len(listener["token"]) >= 22
    assert all(ch.isalnum() or ch in "-_" for ch in listener["token"])


def test_catalog_add_prints_the_created_entry_with_its_id(data_dir, acme):
    entry = printed(
        crmdp(
            data_dir,
            "catalog",
            "add",
            "--org",
            "Acme",
            "sla",
            "Gold",
            "--first-response",
            "30",
            "--resolution",
            "240",
            "--json",
        )
    )
    assert isinstance(entry.pop("id"), int)
    assert entry == {"kind": "sla", "name": "Gold", "firstResponse": 30, "resolution": 240}


def test_field_add_prints_the_definition_with_its_id(data_dir, acme):
    field = printed(
        crmdp(
            data_dir,
            "field",
            "add",
            "--org",
            "Acme",
            "--record",
            "lead",
            "--name",
            "Size",
            "--type",
            "select",
            "--choice",
            "S",
            "--choice",
            "M",
            "--json",
        )
    )
    assert isinstance(field.pop("id"), int)
    assert field == {"record": "lead", "name": "Size", "type": "select", "choices": ["S", "M"]}


# -- what was provisioned works -------------------------------------------------------

END_TO_END = """
import json
from django.test import Client
client = Client(HTTP_HOST="localhost")
posted = client.post({url!r}, data={body!r}, content_type="application/json")
found = client.get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer " + {token!r})
print(json.dumps({{"status": posted.status_code, "answer": posted.json(), "found": found.json()}}))
"""


def test_a_provisioned_org_receives_the_guide_sample_and_shows_it_through_the_api(data_dir, acme):
    listener = printed(
        crmdp(
            data_dir,
            "listener",
            "create",
            "--org",
            "acme",
            "--name",
            "F",
            "--default-tag",
            "from-cli",
            "--json",
        )
    )
    body = (SAMPLES / "add-contact.json").read_text()
    script = END_TO_END.format(url=listener["url"], body=body, token=acme["apiToken"])
    outcome = printed(crmdp(data_dir, "shell", "--no-imports", "-c", script))
    assert outcome["status"] == 200
    (result,) = outcome["answer"]["results"]
    assert result["status"] == "created"
    (customer,) = outcome["found"]["results"]
    assert customer["customerId"] == result["record"]["customerId"]
    assert customer["tags"] == ["from-cli"]
    assert customer["owner"] == SENDER


# -- errors ---------------------------------------------------------------------------

# Each command's refusal through the real script: exit status and the flag named.
REFUSED_BY_THE_SCRIPT = {
    "missing-flag": (["org", "create", "--name", "X"], "--owner", 2),
    "bad-value": (["org", "create", "--name", "X", "--owner", "nope"], "--owner", 1),
    "unknown-org": (["user", "add", "--org", "Nope", "--email", "a@x.io"], "--org", 1),
    "unknown-kind": (["catalog", "add", "--org", "Acme", "planet", "Mars"], "KIND", 2),
}


@pytest.fixture(scope="module")
def refusals(data_dir, acme) -> dict[str, subprocess.CompletedProcess[str]]:
    """The bad commands, run side by side (each is refused before it writes anything)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(crmdp, data_dir, *args, "--json")
            for name, (args, _, _) in REFUSED_BY_THE_SCRIPT.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", REFUSED_BY_THE_SCRIPT)
def test_bad_arguments_exit_non_zero_naming_the_flag(refusals, case):
    result = refusals[case]
    _, flag, status = REFUSED_BY_THE_SCRIPT[case]
    assert result.returncode == status
    assert flag in result.stderr, result.stderr
    assert result.stdout.strip() == ""
    assert "Traceback" not in result.stderr


def test_refused_commands_change_nothing(data_dir, refusals):
    orgs = printed(crmdp(data_dir, "org", "list", "--json"))["orgs"]
    assert {org["name"] for org in orgs} >= {"Acme"}
    assert "X" not in {org["name"] for org in orgs}


# The same commands in this process (the script only adds argument parsing and the
# exit status, tested above): every refusal names the flag to fix.
BAD_ARGUMENTS = {
    "org-unknown-region": (
        ["org", "create", "--name", "X", "--owner", "a@x.io", "--phone-region", "XX"],
        "--phone-region",
    ),
    "org-unknown-country": (
        ["org", "create", "--name", "X", "--owner", "a@x.io", "--country", "XX"],
        "--country",
    ),
    "org-unknown-timezone": (
        ["org", "create", "--name", "X", "--owner", "a@x.io", "--timezone", "Mars/Olympus"],
        "--timezone",
    ),
    "org-unknown-currency": (
        ["org", "create", "--name", "X", "--owner", "a@x.io", "--currency", "ABC"],
        "--currency",
    ),
    "org-name-taken": (["org", "create", "--name", "test org", "--owner", "a@x.io"], "--name"),
    "user-unknown-org-id": (["user", "add", "--org", "99999", "--email", "a@x.io"], "--org"),
    "user-bad-email": (["user", "add", "--org", "Test Org", "--email", "a@"], "--email"),
    "user-unknown-role": (
        ["user", "add", "--org", "Test Org", "--email", "a@x.io", "--role", "boss"],
        "--role",
    ),
    "listener-without-name": (["listener", "create", "--org", "Test Org"], "--name"),
    "listener-bad-address": (
        ["listener", "create", "--org", "Test Org", "--name", "F", "--allow-ip", "10.0.0.300"],
        "--allow-ip",
    ),
    "listener-two-tags": (
        ["listener", "create", "--org", "Test Org", "--name", "F", "--default-tag", "a,b"],
        "--default-tag",
    ),
    "listener-subject-without-body": (
        ["listener", "create", "--org", "Test Org", "--name", "F", "--email-subject", "Hi"],
        "--email-body",
    ),
    "listener-broken-template": (
        ["listener", "create", "--org", "Test Org", "--name", "F", "--sms-text", "Hi {% if %}"],
        "--sms-text",
    ),
    "listener-zero-rate": (
        ["listener", "create", "--org", "Test Org", "--name", "F", "--rate-limit", "0"],
        "--rate-limit",
    ),
    "catalog-sla-without-times": (
        ["catalog", "add", "--org", "Test Org", "sla", "Gold"],
        "--first-response",
    ),
    "catalog-times-on-a-source": (
        ["catalog", "add", "--org", "Test Org", "source", "Web", "--resolution", "5"],
        "--first-response",
    ),
    "catalog-unknown-currency": (
        ["catalog", "add", "--org", "Test Org", "currency", "XYZ"],
        "NAME",
    ),
    "catalog-name-taken": (["catalog", "add", "--org", "Test Org", "channel", "email"], "NAME"),
    "field-select-without-choices": (
        [
            "field",
            "add",
            "--org",
            "Test Org",
            "--record",
            "contact",
            "--name",
            "S",
            "--type",
            "select",
        ],
        "--choice",
    ),
    "field-choices-on-text": (
        [
            "field",
            "add",
            "--org",
            "Test Org",
            "--record",
            "contact",
            "--name",
            "T",
            "--type",
            "text",
            "--choice",
            "A",
        ],
        "--choice",
    ),
    "field-unknown-type": (
        [
            "field",
            "add",
            "--org",
            "Test Org",
            "--record",
            "contact",
            "--name",
            "C",
            "--type",
            "colour",
        ],
        "--type",
    ),
    "field-unknown-record": (
        [
            "field",
            "add",
            "--org",
            "Test Org",
            "--record",
            "planet",
            "--name",
            "C",
            "--type",
            "text",
        ],
        "--record",
    ),
    "field-name-taken": (
        [
            "field",
            "add",
            "--org",
            "Test Org",
            "--record",
            "lead",
            "--name",
            " referred  BY",
            "--type",
            "text",
        ],
        "--name",
    ),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_every_refusal_names_the_flag_to_fix(org, case):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    args, flag = BAD_ARGUMENTS[case]
    with pytest.raises(CommandError) as refused:
        call_command(*args, "--json", stdout=io.StringIO())
    assert flag in str(refused.value), refused.value
    assert Org.objects.count() == 1
    assert not Listener.objects.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["source", "Facebook Ads"], {"kind": "source", "name": "Facebook Ads"}),
        (["stage", "New"], {"kind": "stage", "name": "New", "position": 1}),
        (["category", "UI  Design"], {"kind": "category", "name": "UI Design"}),
        (["package", "Goi A"], {"kind": "package", "name": "Goi A"}),
        (["channel", "Zalo"], {"kind": "channel", "name": "Zalo"}),
        (["currency", "usd"], {"kind": "currency", "name": "USD", "default": False}),
        (["group", "Nhom test"], {"kind": "group", "name": "Nhom test"}),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_catalog_add_prints_each_kind_of_entry(org, args, expected):
    out = io.StringIO()
    call_command("catalog", "add", "--org", str(org.id), *args, "--json", stdout=out)
    entry = json.loads(out.getvalue())
    assert isinstance(entry.pop("id"), int)
    assert entry == expected


def test_without_json_the_commands_print_words(org):
    out = io.StringIO()
    call_command("user", "add", "--org", "Test Org", "--email", "words@example.com", stdout=out)
    assert "words@example.com is member of Test Org" in out.getvalue()
    assert "API token: crmdp_" in out.getvalue()


def test_user_add_creates_missing_groups_and_puts_the_user_in_them(org):
    group_get_or_create(org, "Sales")
    out = io.StringIO()
    call_command(
        "user", "add", "--org", "test org", "--email", "mai@example.com",
        "--group", "sales", "--group", "Support", "--json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["role"] == "member"
    groups = {group.name: group for group in org.groups.all()}
    assert set(groups) == {"Sales", "Support"}
    for group in groups.values():
        assert [user.email for user in group.members.all()] == ["mai@example.com"]


def test_user_add_never_changes_an_existing_logins_password_set_password_does(org):
    call_command(
        "user", "add", "--org", "Test Org", "--email", "pat@example.com",
        "--password", "first-pass-123", stdout=io.StringIO(),
    )  # fmt: skip
    org_create(name="Other Org", owner_email="someone@other.example")
    out = io.StringIO()
    call_command(
        "user", "add", "--org", "Other Org", "--email", "pat@example.com",
        "--password", "second-pass-456", stdout=out,
    )  # fmt: skip
    assert "keeps its password" in out.getvalue()
    pat = User.objects.get(email="pat@example.com")
    assert pat.check_password("first-pass-123")
    assert pat.memberships.count() == 2
    with pytest.raises(CommandError, match="--password"):
        call_command(
            "user", "set-password", "--email", "pat@example.com", "--password", "short",
            stdout=io.StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError, match="--email: nobody logs in"):
        call_command(
            "user", "set-password", "--email", "nobody@example.com",
            "--password", "third-pass-789", stdout=io.StringIO(),
        )  # fmt: skip
    call_command(
        "user", "set-password", "--email", "PAT@example.com", "--password", "third-pass-789",
        stdout=io.StringIO(),
    )  # fmt: skip
    pat.refresh_from_db()
    assert pat.check_password("third-pass-789")


def test_set_password_reads_the_password_from_standard_input(data_dir, acme):
    printed(
        crmdp(data_dir, "user", "add", "--org", "Acme", "--email", "stdin@acme.example", "--json")
    )
    result = subprocess.run(
        [str(CRMDP), "user", "set-password", "--email", "stdin@acme.example", "--json"],
        input="from-stdin-pass-1\n",
        env={
            **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
            "CRMDP_DATA_DIR": str(data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert printed(result) == {"email": "stdin@acme.example"}
