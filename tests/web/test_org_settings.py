"""Org settings pages: users and groups, catalogs, custom fields, SMS."""

from __future__ import annotations

import re

from django.test import Client

from crmdp.customers.models import Customer
from crmdp.orgs.models import CatalogItem, CustomFieldDefinition, Membership, User, UserGroup
from crmdp.orgs.services import catalog_add, group_add, org_create
from tests.conftest import SENDER


def error_beside(content: bytes, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">([^<]*)<', content.decode())
    return found.group(1) if found else ""


def test_adding_a_user_with_a_role_and_groups_lets_them_log_in(org, owner):
    sales = group_add(org=org, name="Sales")
    response = owner.post(
        "/settings/users/",
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "role": "admin",
            "groups": [sales.id],
            "password": "a-long-password-42",
        },
        follow=True,
    )
    assert b"new.person@example.com is now admin of Test Org" in response.content
    membership = Membership.objects.get(org=org, user__email="new.person@example.com")
    assert membership.role == "admin"
    assert list(membership.user.org_groups.all()) == [sales]
    login = Client().post(
        "/login/", {"username": "new.person@example.com", "password": "a-long-password-42"}
    )
    assert login.status_code == 302


def test_a_password_that_passes_the_rules_is_needed_whether_or_not_the_login_exists(owner):
    for email in ("x@example.com", SENDER):
        missing = owner.post("/settings/users/", {"email": email, "role": "member"})
        assert missing.status_code == 400
        assert "required" in error_beside(missing.content, "password")
        weak = owner.post(
            "/settings/users/", {"email": email, "role": "member", "password": "short"}
        )
        assert "too short" in error_beside(weak.content, "password")
    assert not Membership.objects.filter(user__email="x@example.com").exists()


def test_adding_another_orgs_owner_adds_a_membership_and_takes_over_nothing(org, owner):
    other, _ = org_create(
        name="Other Org", owner_email="boss@other.example", password="boss-own-pass-77"
    )
    boss = User.objects.get(email="boss@other.example")
    boss.full_name = "The Boss"
    boss.save(update_fields=["full_name"])
    Membership.objects.filter(user=boss).update(full_name="The Boss")
    sales = group_add(org=other, name="Sales")
    sales.members.add(boss)

    def add(email: str) -> tuple[object, ...]:
        answer = owner.post(
            "/settings/users/",
            {
                "email": email,
                "full_name": "Taken Over",
                "role": "member",
                "password": "attackers-pass-99",
            },
            follow=True,
        )
        told = [str(message).replace(email, "EMAIL") for message in answer.context["messages"]]
        return answer.status_code, answer.redirect_chain, told

    # The page says the same for a brand-new email and for the other org's owner.
    assert add("boss@other.example") == add("brand.new@example.com")

    boss.refresh_from_db()
    assert boss.check_password("boss-own-pass-77")
    assert not boss.check_password("attackers-pass-99")
    assert boss.full_name == "The Boss"
    in_other = Membership.objects.get(org=other, user=boss)
    assert (in_other.role, in_other.full_name, in_other.is_active) == ("owner", "The Boss", True)
    assert list(boss.org_groups.all()) == [sales]
    # Org A now names the person its own way, on its own membership.
    assert Membership.objects.get(org=org, user=boss).full_name == "Taken Over"
    stolen = Client().post(
        "/login/", {"username": "boss@other.example", "password": "attackers-pass-99"}
    )
    assert stolen.status_code != 302
    assert not stolen.wsgi_request.user.is_authenticated
    own = Client().post(
        "/login/", {"username": "boss@other.example", "password": "boss-own-pass-77"}
    )
    assert own.status_code == 302
    new = Client().post(
        "/login/", {"username": "brand.new@example.com", "password": "attackers-pass-99"}
    )
    assert new.status_code == 302


def test_the_members_list_shows_role_groups_and_state(org, owner, login_as):
    login_as("grouped@example.com", groups=("Nhom 1",))
    page = owner.get("/settings/users/").content.decode()
    assert "grouped@example.com" in page
    assert "Nhom 1" in page
    assert "Owner" in page


def test_a_group_is_added_once(org, owner):
    owner.post("/settings/groups/", {"name": "Support"})
    again = owner.post("/settings/groups/", {"name": " support "})
    assert again.status_code == 400
    assert "already exists" in error_beside(again.content, "name")
    assert UserGroup.objects.filter(org=org).count() == 1


def test_editing_a_member_changes_role_groups_and_access(org, owner, login_as):
    member_client = login_as("member@example.com", groups=("Old",))
    new = group_add(org=org, name="New")
    member = Membership.objects.get(org=org, user__email="member@example.com")
    response = owner.post(f"/settings/users/{member.id}/", {"role": "admin", "groups": [new.id]})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.is_active) == ("admin", False)
    assert [g.name for g in member.user.org_groups.all()] == ["New"]
    # Deactivated: this org is closed to them now.
    assert member_client.get("/contacts/").status_code == 403


def test_the_last_owner_cannot_demote_themselves(org, owner):
    me = Membership.objects.get(org=org, user__email=SENDER)
    response = owner.post(f"/settings/users/{me.id}/", {"role": "member", "is_active": "on"})
    assert response.status_code == 400
    assert "last owner" in error_beside(response.content, "role")
    me.refresh_from_db()
    assert me.role == "owner"


def test_deal_stages_keep_their_order_and_move_up_and_down(org, owner):
    for name in ("New", "Won"):
        owner.post("/settings/catalogs/stages/", {"name": name})
    owner.post("/settings/catalogs/stages/", {"name": "Qualified"})
    qualified = CatalogItem.objects.get(org=org, kind="stage", name="Qualified")
    owner.post(f"/settings/catalogs/stages/{qualified.id}/", {"change": "up"})
    order = list(
        CatalogItem.objects.filter(org=org, kind="stage")
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert order == ["New", "Qualified", "Won"]
    page = owner.get("/settings/catalogs/stages/").content.decode()
    assert page.index(">New<") < page.index(">Qualified<") < page.index(">Won<")


def test_a_catalog_refuses_a_name_it_already_has(org, owner):
    owner.post("/settings/catalogs/sources/", {"name": "Website"})
    again = owner.post("/settings/catalogs/sources/", {"name": "website"})
    assert "already exists" in error_beside(again.content, "name")


def test_currencies_have_one_default_which_cannot_be_removed(org, owner):
    bad = owner.post("/settings/catalogs/currencies/", {"name": "XYZ"})
    assert "ISO 4217" in bad.content.decode()
    owner.post("/settings/catalogs/currencies/", {"name": "usd"})
    usd = CatalogItem.objects.get(org=org, kind="currency", key="USD")
    owner.post(f"/settings/catalogs/currencies/{usd.id}/", {"change": "default"})
    defaults = CatalogItem.objects.filter(org=org, kind="currency", is_default=True)
    assert [c.name for c in defaults] == ["USD"]
    refused = owner.post(
        f"/settings/catalogs/currencies/{usd.id}/", {"change": "remove"}, follow=True
    )
    assert b"default currency cannot be removed" in refused.content
    assert CatalogItem.objects.filter(id=usd.id).exists()


def test_an_sla_policy_needs_both_times(org, owner):
    missing = owner.post("/settings/catalogs/sla-policies/", {"name": "Gold"})
    assert missing.status_code == 400
    assert error_beside(missing.content, "resolution_minutes")
    owner.post(
        "/settings/catalogs/sla-policies/",
        {"name": "Gold", "first_response_minutes": "30", "resolution_minutes": "480"},
    )
    gold = CatalogItem.objects.get(org=org, kind="sla")
    assert (gold.first_response_minutes, gold.resolution_minutes) == (30, 480)
    assert "480 min" in owner.get("/settings/catalogs/sla-policies/").content.decode()


def test_ticket_channels_start_with_the_default_set_and_can_be_removed(org, owner):
    page = owner.get("/settings/catalogs/channels/").content.decode()
    assert "Kite Viber" in page
    viber = CatalogItem.objects.get(org=org, kind="channel", name="Kite Viber")
    owner.post(f"/settings/catalogs/channels/{viber.id}/", {"change": "remove"})
    assert not CatalogItem.objects.filter(id=viber.id).exists()


def test_an_unknown_catalog_is_not_found(owner):
    assert owner.get("/settings/catalogs/planets/").status_code == 404


def test_custom_fields_are_added_per_record_type_with_choices(org, owner):
    owner.post(
        "/settings/fields/",
        {
            "record_type": "lead",
            "name": "Budget band",
            "field_type": "select",
            "choices": "Small\nLarge\n",
        },
    )
    field = CustomFieldDefinition.objects.get(org=org)
    assert (field.record_type, field.field_type, field.choices) == (
        "lead",
        "select",
        ["Small", "Large"],
    )
    page = owner.get("/settings/fields/").content.decode()
    assert "Lead fields" in page and "Budget band" in page and "Large" in page


def test_a_select_field_without_choices_is_refused_beside_the_choices(owner):
    response = owner.post(
        "/settings/fields/", {"record_type": "contact", "name": "Size", "field_type": "select"}
    )
    assert response.status_code == 400
    assert "at least one" in error_beside(response.content, "choices")


def test_removing_a_custom_field(org, owner):
    owner.post(
        "/settings/fields/", {"record_type": "deal", "name": "Booking", "field_type": "text"}
    )
    field = CustomFieldDefinition.objects.get(org=org)
    owner.post(f"/settings/fields/{field.id}/remove/")
    assert not CustomFieldDefinition.objects.exists()


def test_sms_setup_takes_a_provider_and_its_url_but_never_the_trial_allowance(org, owner):
    refused = owner.post("/settings/sms/", {"provider": "http", "url": ""})
    assert "needs its URL" in error_beside(refused.content, "url")
    # An org admin posting a trial allowance (the field the page once had) changes
    # nothing: only the operator's `crmdp sms set --trial` does.
    saved = owner.post(
        "/settings/sms/",
        {"provider": "http", "url": "https://sms.example.com/send", "trial": "100000"},
        follow=True,
    )
    assert b"Sending through the HTTP gateway https://sms.example.com/send" in saved.content
    assert b"Trial messages left: 10 (set by the platform" in saved.content
    assert b'name="trial"' not in saved.content
    org.refresh_from_db()
    assert (org.sms_provider, org.sms_url, org.sms_trial_remaining) == (
        "http",
        "https://sms.example.com/send",
        10,
    )
    owner.post("/settings/sms/", {"provider": "", "url": "", "trial": "100000"})
    org.refresh_from_db()
    assert (org.sms_provider, org.sms_url, org.sms_trial_remaining) == ("", "", 10)


def test_the_sms_page_says_why_a_gateway_url_is_refused(org, owner, settings):
    settings.CRMDP_OUTBOUND_ALLOW_PRIVATE = False
    page = owner.post("/settings/sms/", {"provider": "http", "url": "http://169.254.169.254/"})
    assert page.status_code == 400
    error = error_beside(page.content, "url")
    assert "The platform does not send there" in error
    assert "link-local or cloud metadata" in error
    org.refresh_from_db()
    assert org.sms_url == ""


def test_the_settings_overview_counts_what_the_org_has(org, owner, listener):
    catalog_add(org=org, kind="stage", name="New")
    page = owner.get("/settings/").content.decode()
    assert "1 listener" in page
    assert "No provider: 10 trial messages left." in page
    assert "9 entries" in page  # the default ticket channels


def test_an_admin_sets_the_region_and_the_next_request_reads_dates_that_way(org, owner, post):
    page = owner.get("/settings/region/")
    assert b"01/02/1993 is 1 February" in page.content  # Vietnam: day first
    saved = owner.post(
        "/settings/region/", {"phone_region": "VN", "country": "US", "timezone": ""}, follow=True
    )
    assert b"01/02/1993 is 2 January" in saved.content
    org.refresh_from_db()
    assert (org.phone_region, org.country, org.timezone) == ("VN", "US", "America/New_York")
    result = post.action("add-contact", {"name": "Joe", "dateOfBirth": "01/02/1993"})
    shown = Customer.objects.get(id=result["record"]["id"])
    assert shown.date_of_birth.isoformat() == "1993-01-02"


def test_an_unknown_timezone_or_phone_region_is_refused_beside_its_field(org, owner):
    refused = owner.post(
        "/settings/region/", {"phone_region": "VN", "country": "VN", "timezone": "Mars/Base"}
    )
    assert refused.status_code == 400
    refused = owner.post("/settings/region/", {"phone_region": "XX", "country": "VN"})
    assert refused.status_code == 400
    assert "phone region" in error_beside(refused.content, "phone_region")
    org.refresh_from_db()
    assert (org.phone_region, org.country) == ("VN", "VN")
