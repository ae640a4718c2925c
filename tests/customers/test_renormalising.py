"""Stored customers brought up to today's reading rules, and `crmdp duplicates`
(issue 14: one person, one record). Records stored under the old rules are made by
writing what the old code stored: the raw value as its key."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from crmdp.customers.models import SERIES, Customer, CustomerKey, Kind
from crmdp.customers.renormalising import duplicate_groups, renormalise
from crmdp.orgs.numbering import take_number
from crmdp.orgs.services import org_create


def stored(org, name, *, kind=Kind.CONTACT, passport="", emails=(), phones=(), keys=()):
    """A customer as the old rules stored it, with exactly the keys given."""
    customer = Customer.objects.create(
        org=org,
        kind=kind,
        number=take_number(org.id, SERIES[kind]),
        name=name,
        passport=passport,
        emails=[{"type": "Other", "value": v, "normalized": v} for v in emails],
        phones=[{"type": "Other", "value": v, "e164": e} for v, e in phones],
    )
    for key in keys:
        CustomerKey.objects.create(org=org, key=key, kind=kind, customer=customer)
    return customer


def keys_of(customer):
    return set(CustomerKey.objects.filter(customer=customer).values_list("key", flat=True))


def test_renormalising_rewrites_old_keys_and_reports_who_now_collides(org):
    # Stored before issue 14: a full-width passport, a Unicode domain, an invalid phone
    # that had an E.164 form because it was merely possible.
    wide = stored(
        org,
        "Huy",
        passport="Ｂ１２３４",
        emails=["huy@bücher.de"],
        phones=[("01234567890", "+841234567890")],
        keys=["passport:Ｂ１２３４", "email:huy@bücher.de", "phone:+841234567890", "name:huy"],
    )
    plain = stored(
        org,
        "Huy N",
        passport="B1234",
        emails=["huy@xn--bcher-kva.de"],
        keys=["passport:B1234", "email:huy@xn--bcher-kva.de", "name:huy n"],
    )

    report = renormalise()

    assert report.customers == 2
    # With the search-only key of the email's domain (issue 17).
    domain = "domain:xn--bcher-kva.de"
    assert keys_of(wide) == {"passport:B1234", "email:huy@xn--bcher-kva.de", "name:huy", domain}
    assert keys_of(plain) == {"passport:B1234", "email:huy@xn--bcher-kva.de", "name:huy n", domain}
    wide.refresh_from_db()
    assert wide.phones == [{"type": "Other", "value": "01234567890", "e164": None}]
    assert wide.emails[0] == {
        "type": "Other",
        "value": "huy@bücher.de",  # what was given stays as given
        "normalized": "huy@xn--bcher-kva.de",
    }
    # Reported, never merged.
    assert Customer.objects.count() == 2
    groups = [(g.matched_on, g.value, [c.id for c in g.customers]) for g in duplicate_groups()]
    assert groups == [
        ("email", "huy@xn--bcher-kva.de", [wide.id, plain.id]),
        ("passport", "B1234", [wide.id, plain.id]),
    ]


def test_renormalising_twice_changes_nothing_the_second_time(org):
    stored(org, "Lan", passport="b\u200b12", keys=["passport:B\u200b12"])
    renormalise()
    again = renormalise()
    assert (again.values_changed, again.keys_added, again.keys_removed) == (0, 0, 0)


def test_a_lead_and_a_contact_sharing_an_email_are_not_duplicates(org):
    # Leads are matched among leads only: a contact and a lead may be one person in
    # two roles.
    stored(org, "A", emails=["a@x.io"], keys=["email:a@x.io"])
    stored(org, "A", kind=Kind.LEAD, emails=["a@x.io"], keys=["email:a@x.io"])
    assert duplicate_groups() == []


def test_records_of_two_orgs_sharing_a_key_are_not_duplicates(org, db):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    stored(org, "A", passport="P1", keys=["passport:P1"])
    stored(other, "A", passport="P1", keys=["passport:P1"])
    assert duplicate_groups() == []


def test_duplicates_command_lists_records_sharing_a_key_as_json(org):
    first = stored(org, "Lan", phones=[("0905000001", "+84905000001")])
    second = stored(org, "Lan T", phones=[("+84 905 000 001", "+84905000001")])
    renormalise()
    out = StringIO()
    call_command("duplicates", "--org", org.name, "--json", stdout=out)
    (group,) = json.loads(out.getvalue())["groups"]
    assert (group["org"], group["matchedOn"], group["value"]) == (
        org.name,
        "phone",
        "+84905000001",
    )
    assert [r["customerId"] for r in group["records"]] == [first.code, second.code]


def test_duplicates_command_says_when_there_are_none(org):
    stored(org, "Lan", passport="P1", keys=["passport:P1"])
    out = StringIO()
    call_command("duplicates", stdout=out)
    assert out.getvalue().startswith("No duplicates")
