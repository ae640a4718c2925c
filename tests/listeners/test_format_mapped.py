"""The `mapped` format: any JSON through the listener's field map (issue 18)."""

from __future__ import annotations

import pytest

from crmdp.customers.models import Customer
from crmdp.lib.issues import Invalid
from crmdp.listeners.formats.mapped import parse_map, value_at
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import delivery_replay
from crmdp.notes.models import Note
from crmdp.orgs.models import User
from tests.conftest import SENDER
from tests.listeners.formats import fixture, format_listener, poster

MAP = [
    "firstName=customer.given",
    "lastName=customer.family",
    "email=customer.contact.emails.0",
    "phone=customer.contact.mobile",
    "companyName=customer.employer.name",
    "note=notes",
    "attribution.utm_campaign=source.campaign",
    "attribution.utm_source=source.channel",
    "custom.Order=order.id",
]


@pytest.fixture
def send(org):
    return poster(format_listener(org, "mapped", field_map=parse_map(MAP)))


def test_the_map_pulls_the_record_out_of_any_json(send):
    answer = send.raw(fixture("mapped", "order.json"))
    assert answer.status == 200, answer
    lead = Customer.objects.get()
    assert (lead.name, lead.lastname, lead.company_lead) == ("Linh", "Pham", "Pham & Co")
    assert lead.emails[0]["value"] == "linh.pham@example.com"
    assert lead.phones[0]["e164"] == "+84905000777"
    assert lead.attribution == {"utm_campaign": "spring", "utm_source": "partner-site"}
    assert Note.objects.get(customer=lead).body == "Deliver after 5 pm\n\nOrder: 5012"


def test_a_body_without_identity_is_an_error_naming_the_missing_targets(send):
    answer = send({"order": {"id": 1}})
    assert answer.status == 200
    (result,) = answer.json["results"]
    assert result["status"] == "error"
    (error,) = result["errors"]
    assert error["field"] == "data[0].data"
    assert "firstName (at customer.given)" in error["message"]
    assert "email (at customer.contact.emails.0)" in error["message"]
    assert not Customer.objects.exists()


def test_paths_are_dotted_with_numeric_list_indexes():
    document = {"a": [{"b": "x"}, {"b": "y"}], "n": {"0": "key"}}
    assert value_at(document, "a.1.b") == "y"
    assert value_at(document, "a.2.b") is None
    assert value_at(document, "n.0") == "key"
    assert value_at(document, "a.b") is None


@pytest.mark.parametrize(
    ("lines", "complaint"),
    [
        (["nickname=a.b"], "unknown target 'nickname'"),
        (["email"], "write TARGET=PATH"),
        (["email=a..b"], "empty part"),
        (["email=" + ".".join(["a"] * 17)], "at most 16 parts"),
        ([f"custom.f{i}=x" for i in range(51)], "at most 50 entries"),
    ],
)
def test_a_bad_map_is_refused_naming_what_is_wrong(lines, complaint):
    with pytest.raises(Invalid) as refused:
        parse_map(lines)
    assert refused.value.field == "field_map"
    assert complaint in refused.value.message


def test_a_mapped_delivery_replays(org, send):
    send.raw(fixture("mapped", "order.json"))
    Customer.objects.all().delete()
    owner = User.objects.get(email=SENDER)
    replay = delivery_replay(Delivery.objects.get(), by=owner)
    assert (replay.status, replay.format) == (200, "mapped")
    assert Customer.objects.get().name == "Linh"
