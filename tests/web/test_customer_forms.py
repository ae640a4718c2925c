"""New contact, New account, New lead and Edit: read and checked as the listener
reads, no second record for the same person, every change on the history with the
user's name, owner and permit only for those who may, and nothing across orgs."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from crmdp.customers.models import Customer, CustomerKey
from crmdp.history.models import HistoryEntry
from crmdp.messaging.models import Message
from crmdp.orgs.models import CatalogItem, CatalogKind, CustomFieldDefinition, FieldType, UserGroup
from crmdp.orgs.services import catalog_add, field_add
from tests.conftest import SENDER
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import other_org, welcoming_poster
from tests.web.conftest import names_listed


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def contact(**fields: object) -> dict[str, object]:
    return {"name": "Lan", "lastname": "Tran", "permit_status": "1", **fields}


def referred_by(org):
    return CustomFieldDefinition.objects.get(org=org, name="Referred By", record_type="contact")


def errors(content: bytes) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]+)<', content.decode())


def test_each_list_has_its_new_button(guide_org, owner):
    assert 'href="/contacts/new/">New contact</a>' in owner.get("/contacts/").content.decode()
    assert 'href="/accounts/new/">New account</a>' in owner.get("/contacts/").content.decode()
    assert 'href="/leads/new/">New lead</a>' in owner.get("/leads/").content.decode()


def test_the_new_contact_form_has_labelled_fields_and_save(guide_org, owner):
    page = owner.get("/contacts/new/").content.decode()
    for label in ("First name", "Last name", "Email", "Phone", "Passport", "Date of birth"):
        assert f">{label}</label>" in page, label
    assert ">Referred By</label>" in page  # the org's custom field
    assert ">Save</button>" in page and 'name="csrfmiddlewaretoken"' in page


def test_a_new_contact_is_read_as_the_listener_reads_it_and_owned_by_its_writer(guide_org, owner):
    response = owner.post(
        "/contacts/new/",
        contact(
            email="Lan.Tran@Example.com",
            phone="0905 000 001, +84 905 000 002",
            date_of_birth="1993-02-01",
            tags="vip, shop",
            **{f"cf_{referred_by(guide_org).id}": "Minh"},
        ),
    )
    lan = Customer.objects.get(org=guide_org, name="Lan")
    assert response.status_code == 302 and response.url == f"/contacts/{lan.code}/"
    assert lan.kind == "contact" and lan.lastname == "Tran"
    assert [p["e164"] for p in lan.phones] == ["+84905000001", "+84905000002"]
    assert lan.emails[0]["normalized"] == "lan.tran@example.com"
    assert lan.date_of_birth.isoformat() == "1993-02-01"
    assert lan.tags == ["vip", "shop"]
    assert list(lan.custom_fields.values()) == ["Minh"]
    assert lan.owner.email == SENDER
    assert HistoryEntry.objects.get(customer=lan).text == f"Created by {SENDER}."
    assert CustomerKey.objects.filter(customer=lan, key="phone:+84905000001").exists()


def test_bad_values_are_refused_beside_their_fields_and_nothing_is_saved(guide_org, owner):
    response = owner.post(
        "/contacts/new/",
        contact(name="", email="not-an-email", phone="12", date_of_birth="31/31/2020"),
    )
    assert response.status_code == 200
    found = errors(response.content)
    assert "This field is required." in found
    assert any("email" in error.lower() for error in found), found
    assert any("phone" in error.lower() for error in found), found
    assert not any("kept" in error or "ignored" in error for error in found), found
    assert any("date" in error.lower() for error in found), found
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Customer.objects.exists()


def test_a_contact_whose_email_phone_or_passport_exists_is_not_created_twice(guide_org, owner):
    owner.post("/contacts/new/", contact(email="lan@example.com", passport="B123"))
    lan = Customer.objects.get(org=guide_org)
    for typed in (
        {"email": "LAN@example.com"},
        {"phone": "", "passport": " b123 "},
    ):
        response = owner.post("/contacts/new/", contact(name="Someone", **typed))
        assert response.status_code == 409
        page = response.content.decode()
        assert (
            f'<a class="duplicate-of" href="/contacts/{lan.code}/">Lan Tran ({lan.code})</a>'
            in page
        )
        assert "Not saved:" in page
    owner.post("/contacts/new/", contact(phone="0905000001"))
    response = owner.post("/contacts/new/", contact(name="Other", phone="+84 905 000 001"))
    assert response.status_code == 409
    assert Customer.objects.filter(org=guide_org).count() == 2


def test_a_duplicate_the_member_may_not_see_is_not_named(guide_org, owner, login_as):
    owner.post("/contacts/new/", contact(name="Secret", email="s@example.com", permit_status="2"))
    member = login_as("seller@example.com")
    response = member.post("/contacts/new/", contact(email="s@example.com"))
    page = response.content.decode()
    assert response.status_code == 409
    assert "a record you may not see already has this email" in page
    assert "Secret" not in page and "PID-1" not in page


def test_new_account_and_new_lead(guide_org, owner):
    owner.post(
        "/accounts/new/", {"name": "Acme", "email": "hello@acme.example", "permit_status": "1"}
    )
    acme = Customer.objects.get(org=guide_org, name="Acme")
    assert acme.kind == "account" and acme.code.startswith("CID-")
    owner.post("/leads/new/", {"name": "Minh", "company": "Shop ABC", "permit_status": "1"})
    minh = Customer.objects.get(org=guide_org, name="Minh")
    assert minh.kind == "lead" and minh.company_lead == "Shop ABC"
    # A contact's company is an account, found by name or created.
    owner.post("/contacts/new/", contact(company="acme"))
    assert Customer.objects.get(org=guide_org, name="Lan").company == acme


def test_ui_created_customers_get_a_listeners_welcome_messages(guide_org, owner):
    poster = welcoming_poster(guide_org)
    page = owner.get("/contacts/new/").content.decode()
    assert f'<option value="{poster.listener.id}" selected>Shop checkout</option>' in page
    owner.post(
        "/contacts/new/",
        contact(email="lan@example.com", phone="0905000001", welcome=poster.listener.id),
    )
    sent = Message.objects.filter(customer__name="Lan")
    assert sorted(m.channel for m in sent) == ["email", "sms"]
    assert all(m.reason == "welcome" and m.listener == poster.listener for m in sent)
    owner.post("/contacts/new/", contact(name="Quiet", email="q@example.com", welcome=""))
    assert not Message.objects.filter(customer__name="Quiet").exists()


def test_edit_shows_the_same_form_filled_in_and_saves_every_change_in_history(guide_org, owner):
    owner.post(
        "/contacts/new/",
        contact(email="lan@example.com", phone="0905000001, 0905000002", tags="vip"),
    )
    lan = Customer.objects.get(org=guide_org)
    page = owner.get(f"/contacts/{lan.code}/").content.decode()
    assert f'href="/contacts/{lan.code}/edit/">Edit</a>' in page
    form = owner.get(f"/contacts/{lan.code}/edit/").content.decode()
    assert 'value="Lan"' in form and 'value="lan@example.com"' in form
    assert 'value="0905000001, 0905000002"' in form and 'value="vip"' in form
    seller = guide_org.memberships.get(user__email="nhanvien1@beeiq.co").user
    group = UserGroup.objects.get(org=guide_org, name="Nhom 1")
    response = owner.post(
        f"/contacts/{lan.code}/edit/",
        contact(
            lastname="Nguyen",
            email="lan@example.com",
            phone="0905000002",
            tags="vip, gold",
            owner=seller.id,
            permit_status="3",
            permit_group=group.id,
        ),
    )
    assert response.status_code == 302 and response.url == f"/contacts/{lan.code}/"
    lan.refresh_from_db()
    assert lan.lastname == "Nguyen" and [p["value"] for p in lan.phones] == ["0905000002"]
    assert lan.tags == ["vip", "gold"] and lan.owner == seller
    assert lan.permit_status == 3 and lan.permit_group == group
    line = HistoryEntry.objects.filter(customer=lan).first().text
    assert line.startswith(f"Edited by {SENDER}: ")
    for change in (
        "lastname: “Tran” → “Nguyen”",
        "phones: 0905000001|0905000002 → 0905000002",
        "tags: vip → vip|gold",
        f"owner: {SENDER} → nhanvien1@beeiq.co",
        "permit: everybody → the owner and group Nhom 1",
    ):
        assert change in line, change
    # The removed phone no longer finds her.
    assert not CustomerKey.objects.filter(customer=lan, key="phone:+84905000001").exists()
    assert CustomerKey.objects.filter(customer=lan, key="tag:gold").exists()


def test_editing_to_another_customers_email_is_refused_naming_it(guide_org, owner):
    owner.post("/contacts/new/", contact(email="lan@example.com"))
    owner.post("/contacts/new/", contact(name="Minh", email="minh@example.com"))
    lan, minh = Customer.objects.filter(org=guide_org).order_by("id")
    response = owner.post(
        f"/contacts/{minh.code}/edit/", contact(name="Minh", email="lan@example.com")
    )
    assert f"lan@example.com already belongs to Lan Tran ({lan.code})." in errors(response.content)
    minh.refresh_from_db()
    assert minh.emails[0]["value"] == "minh@example.com"


def test_a_member_edits_what_they_see_but_not_the_owner_or_permit_of_anothers_record(
    guide_org, owner, login_as
):
    owner.post("/contacts/new/", contact(email="lan@example.com"))
    owner.post("/contacts/new/", contact(name="Secret", permit_status="2"))
    lan, secret = Customer.objects.filter(org=guide_org).order_by("id")
    member = login_as("seller@example.com")
    assert member.get(f"/contacts/{secret.code}/edit/").status_code == 404
    assert member.post(f"/contacts/{secret.code}/edit/", contact()).status_code == 404
    form = member.get(f"/contacts/{lan.code}/edit/").content.decode()
    assert "Only the record&#x27;s owner, or an owner or admin, may change this." in form
    member.post(
        f"/contacts/{lan.code}/edit/",
        contact(title="CEO", email="lan@example.com", permit_status="2", owner=""),
    )
    lan.refresh_from_db()
    assert lan.title == "CEO"
    assert lan.permit_status == 1 and lan.owner.email == SENDER  # kept
    assert HistoryEntry.objects.filter(customer=lan).first().text == (
        "Edited by seller@example.com: title: (empty) → “CEO”."
    )


def test_another_orgs_records_owners_and_groups_are_refused(guide_org, owner):
    other, their_post = other_org()
    their_post.actions(
        *[("add-contact", {"name": f"Theirs {n}"}) for n in range(3)], sender="boss@other.example"
    )
    owner.post("/contacts/new/", contact())
    assert owner.get("/contacts/PID-3/edit/").status_code == 404
    assert owner.post("/contacts/PID-3/edit/", contact()).status_code == 404
    stranger = other.memberships.get().user
    their_group = UserGroup.objects.create(org=other, name="Theirs")
    response = owner.post(
        "/contacts/new/",
        contact(name="X", owner=stranger.id, permit_status="3", permit_group=their_group.id),
    )
    found = errors(response.content)
    assert "Choose an active member of this organisation." in found or (
        "choose an active member of this organisation." in found
    )
    assert not Customer.objects.filter(org=guide_org, name="X").exists()
    assert sorted(other.customers.values_list("name", flat=True)) == [
        "Theirs 0",
        "Theirs 1",
        "Theirs 2",
    ]


def test_custom_fields_are_read_by_their_type(guide_org, owner):
    size = field_add(org=guide_org, record_type="contact", name="Size", field_type=FieldType.NUMBER)
    response = owner.post("/contacts/new/", contact(**{f"cf_{size.id}": "lots"}))
    assert "Size: not a number." in errors(response.content)
    owner.post("/contacts/new/", contact(**{f"cf_{size.id}": "42"}))
    assert Customer.objects.get(org=guide_org).custom_fields[str(size.id)] == "42"


def test_forms_need_the_csrf_token(guide_org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(guide_org.memberships.get(user__email=SENDER).user)
    assert client.post("/contacts/new/", contact()).status_code == 403
    assert not Customer.objects.exists()


def test_the_edit_page_makes_a_fixed_number_of_queries(
    guide_org, owner, django_assert_max_num_queries
):
    owner.post("/contacts/new/", contact(email="lan@example.com"))
    lan = Customer.objects.get(org=guide_org)
    with django_assert_max_num_queries(14):
        owner.get(f"/contacts/{lan.code}/edit/")


def test_choice_custom_fields_offer_their_choices(guide_org, owner):
    colours = field_add(
        org=guide_org,
        record_type="contact",
        name="Colours",
        field_type=FieldType.CHECKBOX,
        choices=["Red", "Blue"],
    )
    size = field_add(
        org=guide_org,
        record_type="contact",
        name="Size",
        field_type=FieldType.SELECT,
        choices=["S", "M"],
    )
    page = owner.get("/contacts/new/").content.decode()
    assert 'value="Red"' in page and '<option value="M">M</option>' in page
    owner.post(
        "/contacts/new/",
        contact(**{f"cf_{colours.id}": ["Red", "Blue"], f"cf_{size.id}": "M"}),
    )
    lan = Customer.objects.get(org=guide_org)
    assert lan.custom_fields == {str(colours.id): ["Red", "Blue"], str(size.id): "M"}
    form = owner.get(f"/contacts/{lan.code}/edit/").content.decode()
    assert (
        'value="Blue" checked' in form
        or 'checked value="Blue"' in form
        or re.search(r'value="Blue"[^>]*checked', form)
    )


def test_editing_a_contacts_company_links_the_account_of_that_name(guide_org, owner):
    owner.post("/accounts/new/", {"name": "Acme Trading", "permit_status": "1"})
    owner.post("/contacts/new/", contact())
    acme = Customer.objects.get(org=guide_org, kind="account")
    lan = Customer.objects.get(org=guide_org, kind="contact")
    owner.post(f"/contacts/{lan.code}/edit/", contact(company="  acme trading "))
    lan.refresh_from_db()
    assert lan.company == acme
    assert HistoryEntry.objects.filter(customer=acme, mentions_customer=lan).exists()
    assert Customer.objects.filter(org=guide_org, kind="account").count() == 1


def test_editing_a_contacts_company_to_a_new_name_creates_that_account(guide_org, owner):
    other, their_post = other_org()
    their_post.actions(
        ("add-contact", {"name": "Nowhere Ltd", "type": 1}), sender="boss@other.example"
    )
    owner.post("/contacts/new/", contact())
    lan = Customer.objects.get(org=guide_org, kind="contact")
    page = owner.get(f"/contacts/{lan.code}/edit/").content.decode()
    assert "a new account is created when none has it" in page
    response = owner.post(f"/contacts/{lan.code}/edit/", contact(company="Nowhere Ltd"))
    assert response.status_code == 302, errors(response.content)
    lan.refresh_from_db()
    # A new account of this org, not the other org's of the same name.
    nowhere = Customer.objects.get(org=guide_org, kind="account")
    assert (lan.company, nowhere.name) == (nowhere, "Nowhere Ltd")
    assert Customer.objects.filter(org=other, name="Nowhere Ltd").count() == 1
    assert HistoryEntry.objects.filter(customer=nowhere, text__startswith="Created").exists()
    assert "Nowhere Ltd" in owner.get(f"/contacts/{lan.code}/").content.decode()
    # The same name again (any case) finds that account: no second one.
    owner.post(f"/contacts/{lan.code}/edit/", contact(company="NOWHERE LTD", lastname="Le"))
    assert Customer.objects.filter(org=guide_org, kind="account").count() == 1


def test_an_edit_that_is_refused_creates_no_account(guide_org, owner):
    owner.post("/contacts/new/", contact(email="mai@example.com", name="Mai"))
    owner.post("/contacts/new/", contact())
    lan = Customer.objects.get(org=guide_org, kind="contact", name="Lan")
    response = owner.post(
        f"/contacts/{lan.code}/edit/", contact(company="Nowhere Ltd", email="mai@example.com")
    )
    assert any("already belongs to" in error for error in errors(response.content))
    assert not Customer.objects.filter(org=guide_org, kind="account").exists()


def test_a_source_chosen_by_hand_is_saved_shown_filtered_on_and_edited_in_history(guide_org, owner):
    fair = catalog_add(org=guide_org, kind=CatalogKind.SOURCE, name="Trade fair")
    referral = catalog_add(org=guide_org, kind=CatalogKind.SOURCE, name="Referral")
    page = owner.get("/contacts/new/").content.decode()
    assert ">Source</label>" in page and ">Trade fair</option>" in page
    owner.post("/contacts/new/", contact(source=fair.id))
    owner.post("/contacts/new/", contact(name="Minh", email="minh@example.com"))
    owner.post("/leads/new/", {"name": "Hoa", "permit_status": "1", "source": fair.id})
    lan = Customer.objects.get(org=guide_org, name="Lan")
    assert lan.source == fair
    assert Customer.objects.get(org=guide_org, name="Minh").source is None
    # The lists' source filter now finds records made by hand.
    assert names_listed(owner.get("/contacts/", {"source": fair.id}).content) == ["Lan Tran"]
    assert names_listed(owner.get("/leads/", {"source": fair.id}).content) == ["Hoa"]
    # Edit shows it chosen; a change is a history line with the member's name.
    form = owner.get(f"/contacts/{lan.code}/edit/").content.decode()
    assert f'<option value="{fair.id}" selected>Trade fair</option>' in form
    owner.post(f"/contacts/{lan.code}/edit/", contact(source=referral.id))
    lan.refresh_from_db()
    assert lan.source == referral
    line = HistoryEntry.objects.filter(customer=lan).first().text
    assert line == f"Edited by {SENDER}: source: “Trade fair” → “Referral”."
    owner.post(f"/contacts/{lan.code}/edit/", contact(source=""))
    lan.refresh_from_db()
    assert lan.source is None
    assert (
        HistoryEntry.objects.filter(customer=lan)
        .first()
        .text.endswith("source: “Referral” → (empty).")
    )
    assert names_listed(owner.get("/contacts/", {"source": fair.id}).content) == []


def refused_source(content: bytes) -> bool:
    """The Source field's own error, shown beside it."""
    shown = [html.unescape(error) for error in errors(content)]
    return "choose one of this organisation's sources." in shown


def test_another_orgs_source_is_refused_beside_the_field(guide_org, owner):
    other, _ = other_org()
    theirs = catalog_add(org=other, kind=CatalogKind.SOURCE, name="Their fair")
    stage = CatalogItem.objects.filter(org=guide_org, kind=CatalogKind.STAGE).first()
    assert ">Their fair</option>" not in owner.get("/contacts/new/").content.decode()
    for wrong in (theirs.id, stage.id):  # another org's source, or not a source at all
        response = owner.post("/contacts/new/", contact(source=wrong))
        assert refused_source(response.content)
        assert not Customer.objects.filter(org=guide_org).exists()
    owner.post("/contacts/new/", contact())
    lan = Customer.objects.get(org=guide_org)
    response = owner.post(f"/contacts/{lan.code}/edit/", contact(source=theirs.id))
    assert refused_source(response.content)
    lan.refresh_from_db()
    assert lan.source is None


def test_an_oversized_company_name_on_edit_is_refused_and_creates_no_account(guide_org, owner):
    owner.post("/contacts/new/", contact())
    lan = Customer.objects.get(org=guide_org, kind="contact")
    response = owner.post(f"/contacts/{lan.code}/edit/", contact(company="N" * 501))
    assert any("at most 500 characters" in error for error in errors(response.content))
    assert not Customer.objects.filter(org=guide_org, kind="account").exists()
