"""`crmdp catalog add`, `crmdp field add` and `crmdp sms set` (SPEC §8), run as an
operator runs them: the installed console script, in a subprocess, against a fresh
SQLite file in a temporary data directory."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CRMDP = Path(sys.executable).with_name("crmdp")
# A public address, written as one: a gateway URL is checked (resolved) when saved, and
# these subprocesses have no fake DNS (tests/conftest.py); nothing is sent to it.
PUBLIC_GATEWAY = "93.184.215.14"
_orgs = itertools.count(1)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


class Cli:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env["CRMDP_DATA_DIR"] = str(data_dir)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def __call__(self, *args: str) -> Run:
        done = subprocess.run(
            [str(CRMDP), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the SQLite file the commands wrote, as an operator could."""
        with sqlite3.connect(self.data_dir / "crmdp.sqlite3") as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("crmdp-data"))
    migrated = cli("migrate", "--no-input", "-v", "0")
    assert migrated.code == 0, migrated.stderr
    return cli


@pytest.fixture
def org(cli: Cli) -> dict[str, Any]:
    """A new org for each test, made with `crmdp org create`."""
    name = f"Acme {next(_orgs)}"
    return cli("org", "create", "--name", name, "--owner", "ops@acme.example.com", "--json").json


def error_line(run: Run) -> str:
    assert run.code != 0, run.stdout
    return run.stderr.strip().splitlines()[-1]


# -- catalog add ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("source", "Trade fair"),
        ("stage", "Negotiation"),
        ("category", "UI Design"),
        ("package", "Goi A"),
        ("channel", "Zalo"),
        ("group", "Phong Kinh Doanh"),
    ],
)
def test_catalog_add_prints_the_new_entry(cli, org, kind, name):
    added = cli("catalog", "add", "--org", org["name"], kind, f"  {name} ", "--json").json

    assert (added["kind"], added["name"]) == (kind, name)
    assert isinstance(added["id"], int)
    table = "orgs_usergroup" if kind == "group" else "orgs_catalogitem"
    assert cli.query(f"select name from {table} where id = ?", added["id"]) == [(name,)]


def test_stages_are_kept_in_the_order_they_are_added(cli, org):
    positions = [
        cli("catalog", "add", "--org", str(org["id"]), "stage", stage, "--json").json["position"]
        for stage in ("New", "Qualified", "Won")
    ]

    assert positions == sorted(positions) and len(set(positions)) == 3


def test_an_sla_policy_takes_its_first_response_and_resolution_minutes(cli, org):
    added = cli(
        "catalog", "add", "--org", org["name"], "sla", "Gold",
        "--first-response", "30", "--resolution", "240", "--json",
    ).json  # fmt: skip

    assert (added["kind"], added["name"]) == ("sla", "Gold")
    assert (added["firstResponse"], added["resolution"]) == (30, 240)


def test_an_sla_policy_without_its_minutes_is_refused(cli, org):
    refused = cli("catalog", "add", "--org", org["name"], "sla", "Gold", "--first-response", "30")

    assert error_line(refused).startswith("CommandError: --first-response:")
    assert "--resolution" in error_line(refused)
    count = "select count(*) from orgs_catalogitem where kind = 'sla' and org_id = ?"
    assert cli.query(count, org["id"]) == [(0,)]


def test_minutes_on_anything_but_an_sla_policy_are_refused(cli, org):
    refused = cli("catalog", "add", "--org", org["name"], "stage", "New", "--resolution", "5")

    assert "SLA" in error_line(refused)


def test_a_currency_is_an_iso_code_and_only_one_is_the_default(cli, org):
    usd = cli("catalog", "add", "--org", org["name"], "currency", "usd", "--json").json
    eur = cli("catalog", "add", "--org", org["name"], "currency", "EUR", "--default", "--json").json
    bogus = cli("catalog", "add", "--org", org["name"], "currency", "XYZ")

    assert (usd["name"], usd["default"]) == ("USD", False)
    assert (eur["name"], eur["default"]) == ("EUR", True)
    assert "ISO 4217" in error_line(bogus)
    defaults = cli.query(
        "select name from orgs_catalogitem where org_id = ? and kind = 'currency' and is_default",
        org["id"],
    )
    assert defaults == [("EUR",)]  # the org's first default, VND, is no longer one


def test_a_new_org_has_the_default_ticket_channels_and_refuses_a_repeat(cli, org):
    channels = cli.query(
        "select name from orgs_catalogitem where org_id = ? and kind = 'channel' order by position",
        org["id"],
    )
    repeat = cli("catalog", "add", "--org", org["name"], "channel", "contact form")

    assert [name for (name,) in channels] == [
        "Email",
        "Phone",
        "Web Contact Form",
        "Contact Form",
        "Kite Call",
        "Kite Chat",
        "Kite Viber",
        "Kite Facebook",
        "Kite Skype",
    ]
    assert "already exists" in error_line(repeat)


def test_an_unknown_kind_is_refused_listing_the_kinds(cli, org):
    refused = cli("catalog", "add", "--org", org["name"], "colour", "Blue")

    assert refused.code == 2
    assert "invalid choice: 'colour'" in refused.stderr
    for kind in ("source", "stage", "category", "package", "currency", "sla", "channel", "group"):
        assert kind in refused.stderr


def test_catalog_add_for_an_unknown_org_is_refused(cli):
    refused = cli("catalog", "add", "--org", "No Such Org", "stage", "New")

    assert error_line(refused) == "CommandError: --org: no org with id or name 'No Such Org'"


# -- field add --------------------------------------------------------------------------


@pytest.mark.parametrize("record", ["deal", "ticket"])
def test_field_add_defines_deal_and_ticket_fields(cli, org, record):
    text = cli(
        "field", "add", "--org", org["name"], "--record", record,
        "--name", "Booking source", "--type", "text", "--json",
    ).json  # fmt: skip
    select = cli(
        "field", "add", "--org", org["name"], "--record", record, "--name", "Severity",
        "--type", "select", "--choice", "Low", "--choice", "High", "--json",
    ).json  # fmt: skip

    assert (text["record"], text["name"], text["type"]) == (record, "Booking source", "text")
    assert (select["type"], select["choices"]) == ("select", ["Low", "High"])


def test_a_select_field_needs_its_choices(cli, org):
    refused = cli(
        "field", "add", "--org", org["name"], "--record", "ticket", "--name", "Severity",
        "--type", "select",
    )  # fmt: skip

    assert error_line(refused).startswith("CommandError: --choice:")


# -- sms set ----------------------------------------------------------------------------


def sms_setup(cli: Cli, org: dict[str, Any]) -> tuple[str, str, int]:
    [row] = cli.query(
        "select sms_provider, sms_url, sms_trial_remaining from orgs_org where id = ?", org["id"]
    )
    return row


def test_a_new_org_has_a_trial_allowance_of_ten(cli, org):
    assert sms_setup(cli, org) == ("", "", 10)


def test_sms_set_log_provider(cli, org):
    shown = cli("sms", "set", "--org", org["name"], "--provider", "log", "--json").json

    assert shown == {
        "id": org["id"],
        "org": org["name"],
        "provider": "log",
        "url": None,
        "dailyCap": 1000,
        "trialRemaining": 10,
    }
    assert sms_setup(cli, org) == ("log", "", 10)


def test_sms_set_http_provider_with_its_url(cli, org):
    url = f"https://{PUBLIC_GATEWAY}/send"

    shown = cli("sms", "set", "--org", str(org["id"]), "--provider", "http", "--url", url, "--json")

    assert (shown.json["provider"], shown.json["url"]) == ("http", url)
    assert sms_setup(cli, org) == ("http", url, 10)


def test_sms_set_trial_sets_the_allowance(cli, org):
    shown = cli("sms", "set", "--org", org["name"], "--trial", "3", "--json").json

    assert (shown["provider"], shown["trialRemaining"]) == (None, 3)
    assert sms_setup(cli, org) == ("", "", 3)


def test_sms_set_provider_none_goes_back_to_the_trial_allowance(cli, org):
    cli(
        "sms",
        "set",
        "--org",
        org["name"],
        "--provider",
        "http",
        "--url",
        f"https://{PUBLIC_GATEWAY}",
    )

    shown = cli("sms", "set", "--org", org["name"], "--provider", "none", "--json").json

    assert (shown["provider"], shown["url"]) == (None, None)
    assert sms_setup(cli, org) == ("", "", 10)


def test_sms_set_http_without_a_url_is_refused(cli, org):
    refused = cli("sms", "set", "--org", org["name"], "--provider", "http")

    assert error_line(refused).startswith("CommandError: --url:")
    assert sms_setup(cli, org) == ("", "", 10)


def test_sms_set_for_an_unknown_org_is_refused(cli):
    refused = cli("sms", "set", "--org", "999999", "--provider", "log")

    assert error_line(refused) == "CommandError: --org: no org with id or name '999999'"


def test_sms_set_refuses_an_unknown_provider_and_a_negative_trial(cli, org):
    provider = cli("sms", "set", "--org", org["name"], "--provider", "carrier-pigeon")
    trial = cli("sms", "set", "--org", org["name"], "--trial", "-1")

    assert provider.code == 2 and "invalid choice: 'carrier-pigeon'" in provider.stderr
    assert trial.code == 2 and "must not be negative" in trial.stderr
    assert sms_setup(cli, org) == ("", "", 10)
