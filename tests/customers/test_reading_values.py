"""A customer typed into a form is read by the listener's own reading function:
the same phones, emails, dates and warnings, from plain values instead of a
listener payload (crmdp.customers.fields)."""

from __future__ import annotations

from crmdp.customers.fields import ContactPointValues, CustomerValues, PermitValues
from crmdp.customers.reading import read_customer
from crmdp.lib.issues import Issue, Warnings
from crmdp.listeners.schemas import CustomerData
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import Org

SENT = {
    "name": "Ann",
    "lastname": "Lee",
    "dateOfBirth": "1990-02-03",
    "emails": [{"type": "Work", "value": " Ann@Example.COM "}],
    "phones": [{"type": "Mobile", "value": "+84 912 345 678"}, {"value": "not a phone"}],
    "permit": {"status": 2},
}
TYPED = CustomerValues(
    name="Ann",
    lastname="Lee",
    date_of_birth="1990-02-03",
    emails=[ContactPointValues(type="Work", value=" Ann@Example.COM ")],
    phones=[
        ContactPointValues(type="Mobile", value="+84 912 345 678"),
        ContactPointValues("not a phone"),
    ],
    permit=PermitValues(status=2),
)


def test_typed_values_read_as_a_listener_payload_does(org: Org) -> None:
    sent_warnings, typed_warnings = Warnings(), Warnings()
    directory = OrgDirectory(org)
    sent = read_customer(
        CustomerData.model_validate(SENT),
        record_type="contact",
        directory=directory,
        path="",
        warnings=sent_warnings,
    )
    typed = read_customer(
        TYPED, record_type="contact", directory=directory, path="", warnings=typed_warnings
    )
    assert typed == sent
    assert typed.phones[0][1].e164 == "+84912345678"
    assert typed.emails[0][1].normalized == "ann@example.com"
    assert str(typed.date_of_birth) == "1990-02-03"
    assert typed_warnings == sent_warnings
    # The unreadable phone is named by its place, as a form shows it beside the field.
    assert [issue.field for issue in typed_warnings] == ["phones[1].value"]
    assert isinstance(typed_warnings[0], Issue)
