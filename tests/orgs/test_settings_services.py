"""The org-settings services the pages use."""

from __future__ import annotations

import pytest

from crmdp.lib.issues import Invalid
from crmdp.messaging.services import sms_set
from crmdp.orgs.models import CatalogItem, Membership, Role
from crmdp.orgs.services import (
    catalog_add,
    catalog_move,
    catalog_remove,
    member_update,
    org_create,
    org_set_region,
    user_add,
)
from tests.conftest import SENDER


def stage_names(org) -> list[str]:
    return list(
        CatalogItem.objects.filter(org=org, kind="stage")
        .order_by("position")
        .values_list("name", flat=True)
    )


def test_moving_a_stage_past_either_end_keeps_it_there(org):
    first, second = (catalog_add(org=org, kind="stage", name=n) for n in ("One", "Two"))
    catalog_move(item=first, offset=-1)
    assert stage_names(org) == ["One", "Two"]
    catalog_move(item=second, offset=1)
    assert stage_names(org) == ["One", "Two"]
    catalog_move(item=second, offset=-1)
    assert stage_names(org) == ["Two", "One"]


def test_removing_a_source_unlinks_it_from_listeners_and_customers(org, listener, post):
    created = post.action("add-contact", {"name": "Sourced"})
    source = listener.default_contact_source
    catalog_remove(item=source)
    listener.refresh_from_db()
    assert listener.default_contact_source is None
    from crmdp.customers.models import Customer

    assert Customer.objects.get(id=created["record"]["id"]).source is None


def test_an_owner_may_step_down_when_another_owner_remains(org):
    user_add(org=org, email="second@example.com", role=Role.OWNER)
    me = Membership.objects.get(org=org, user__email=SENDER)
    member_update(membership=me, role=Role.MEMBER, groups=[])
    me.refresh_from_db()
    assert me.role == Role.MEMBER


def test_the_last_owner_cannot_be_deactivated(org):
    me = Membership.objects.get(org=org, user__email=SENDER)
    with pytest.raises(Invalid, match="last owner") as raised:
        member_update(membership=me, role=Role.OWNER, groups=[], is_active=False)
    assert raised.value.field == "is_active"


@pytest.mark.parametrize(
    ("provider", "url", "field"),
    [
        ("carrier-pigeon", "", "provider"),
        ("http", "", "url"),
        ("http", "ftp://sms.example.com", "url"),
        ("log", "https://sms.example.com", "url"),
    ],
)
def test_sms_set_refuses_what_cannot_send(org, provider, url, field):
    with pytest.raises(Invalid) as raised:
        sms_set(org, provider=provider, url=url)
    assert raised.value.field == field


def test_sms_set_keeps_the_trial_unless_told(org):
    sms_set(org, provider="log")
    org.refresh_from_db()
    assert (org.sms_provider, org.sms_trial_remaining) == ("log", 10)
    sms_set(org, provider="", trial=0)
    org.refresh_from_db()
    assert (org.sms_provider, org.sms_trial_remaining) == ("", 0)


# -- region: how dates and numbers are read ---------------------------------------------


def test_a_new_org_reads_values_as_its_phone_region_writes_them(db):

    org, _ = org_create(name="Berlin GmbH", owner_email="chef@berlin.example", phone_region="DE")
    assert (org.country, org.timezone) == ("DE", "Europe/Berlin")
    conventions = org.conventions
    assert (conventions.day_first, conventions.decimal, conventions.group) == (True, ",", ".")


def test_an_org_country_and_timezone_can_differ_from_its_phone_region(db):

    org, _ = org_create(name="Saigon Branch", owner_email="a@sg.example", phone_region="VN")
    org_set_region(org, phone_region="VN", country="US", timezone="Asia/Ho_Chi_Minh")
    org.refresh_from_db()
    assert (org.phone_region, org.country, org.timezone) == ("VN", "US", "Asia/Ho_Chi_Minh")
    assert org.conventions.day_first is False


@pytest.mark.parametrize(
    ("change", "field"),
    [({"country": "XX"}, "country"), ({"timezone": "Mars/Olympus"}, "timezone")],
)
def test_an_unknown_country_or_timezone_is_refused(org, change, field):

    with pytest.raises(Invalid) as refused:
        org_set_region(org, **{"phone_region": "VN", "country": "VN", **change})
    assert refused.value.field == field
