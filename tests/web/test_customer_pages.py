"""Contacts and accounts, and leads: lists, search, filters, pages, detail."""

from __future__ import annotations

import re

from crmdp.orgs.models import FieldType, Role
from crmdp.orgs.services import field_add, user_add
from tests.conftest import SENDER, sample
from tests.web.conftest import names_listed


def test_the_contacts_list_shows_contacts_and_accounts_newest_first(owner, post):
    post.action("add-contact", {"name": "Older"})
    post.action("add-contact", {"name": "Newer", "companyContact": {"name": "Acme"}})
    post.action("add-lead", {"name": "A lead"})
    assert names_listed(owner.get("/contacts/").content) == ["Newer", "Acme", "Older"]
    assert names_listed(owner.get("/contacts/", {"kind": "account"}).content) == ["Acme"]
    assert names_listed(owner.get("/contacts/", {"kind": "contact"}).content) == [
        "Newer",
        "Older",
    ]
    assert names_listed(owner.get("/leads/").content) == ["A lead"]


def test_searching_finds_by_name_email_phone_and_code(owner, post):
    found = post.action(
        "add-contact",
        {
            "name": "Thu",
            "lastname": "Tran",
            "emails": [{"value": "Thu.Tran@Example.com"}],
            "phones": [{"value": "0905 000 001"}],
        },
    )
    post.action("add-contact", {"name": "Someone else"})
    code = found["record"]["customerId"]
    for query in ("thu", "Thu Tr", "thu.tran@example.com", "+84905000001", "0905000001", code):
        assert names_listed(owner.get("/contacts/", {"q": query}).content) == ["Thu Tran"], query
    empty = owner.get("/contacts/", {"q": "nobody-like-this"})
    assert names_listed(empty.content) == []
    assert b"No contacts or accounts match" in empty.content


def test_filters_by_source_tag_and_owner(org, owner, post, listener):
    member = user_add(org=org, email="member@example.com", role=Role.MEMBER).user
    post.action("add-contact", {"name": "Tagged", "tag": "vip, webhook"})
    post.action("add-contact", {"name": "Default tag"})  # gets the listener's "website"
    post.action("add-contact", {"name": "By member"}, sender="member@example.com")
    source = listener.default_contact_source

    def listed(**params):
        return names_listed(owner.get("/contacts/", params).content)

    assert listed(tag="VIP") == ["Tagged"]
    assert listed(tag="website") == ["By member", "Default tag"]
    assert listed(owner=member.id) == ["By member"]
    assert listed(source=source.id, owner=member.id) == ["By member"]
    assert set(listed(source=source.id)) == {"Tagged", "Default tag", "By member"}
    assert listed(q="tagged", tag="website") == []


def test_an_unknown_filter_value_is_ignored_not_an_error(owner, post):
    post.action("add-contact", {"name": "Still here"})
    response = owner.get("/contacts/", {"source": "99999", "owner": "abc", "page": "x"})
    assert response.status_code == 200
    assert names_listed(response.content) == ["Still here"]


def test_the_list_is_paginated_and_keeps_the_search_on_each_page(owner, post):
    post.actions(*[("add-contact", {"name": f"Person {n:02d}"}) for n in range(30)])
    first = owner.get("/contacts/", {"q": "person"})
    assert len(names_listed(first.content)) == 25
    assert b"1\xe2\x80\x9325 of 30" in first.content  # "1–25 of 30"
    assert b'href="?q=person&amp;page=2"' in first.content
    second = owner.get("/contacts/", {"q": "person", "page": 2})
    assert names_listed(second.content) == [f"Person {n:02d}" for n in range(4, -1, -1)]


def test_the_list_costs_the_same_few_queries_for_many_rows(
    owner, post, django_assert_max_num_queries
):
    post.actions(
        *[
            ("add-contact", {"name": f"P{n}", "companyContact": {"name": f"Co{n}"}, "tag": "t"})
            for n in range(12)
        ]
    )
    with django_assert_max_num_queries(12):
        response = owner.get("/contacts/", {"tag": "t"})
    assert len(names_listed(response.content)) == 12


def test_a_contacts_page_shows_every_field_its_company_tags_and_custom_fields(org, owner, post):
    field_add(org=org, record_type="contact", name="Referred By", field_type=FieldType.TEXT)
    field_add(
        org=org,
        record_type="contact",
        name="Interests",
        field_type=FieldType.CHECKBOX,
        choices=["Golf", "Tennis"],
    )
    data = sample("add-contact")["data"][0]["data"]
    data["companyContact"] = {"name": "HTK Labs"}
    data["tag"] = "vip"
    data["cusFields"] = [
        {"name": "Referred By", "value": "Cong Nguyen"},
        {"name": "Interests", "value": "Golf|Tennis"},
    ]
    result = post.action("add-contact", data)
    page = owner.get(f"/contacts/{result['record']['customerId']}/").content.decode()
    for shown in (
        "Huy",
        "Nguyen",
        "This is title",
        "1945295865",
        "Female",
        "1 Jan 1993",
        "Thành viên AntBuddy",
        "huy.nguyen@htklabs.com",
        "01234567890",
        "58 Ton That Dam, Da Nang, Thanh Khe 5100000, Vietnam",
        "htk-inc.com",
        "Facebook: Huy Nguyen Viet",
        "HTK Labs",
        "vip",
        "Cong Nguyen",
        "Golf, Tennis",
        "Website",  # the listener's default source
        SENDER,  # the owner
        "everybody",
    ):
        assert shown in page, shown


def test_an_accounts_page_lists_the_members_the_user_may_see(owner, login_as, post):
    first = post.action("add-contact", {"name": "Open", "companyContact": {"name": "Acme"}})
    post.action(
        "add-contact",
        {"name": "Private", "companyContact": {"name": "Acme"}, "permit": {"status": 2}},
    )
    code = first["related"][0]["customerId"]

    as_owner = owner.get(f"/contacts/{code}/").content.decode()
    assert "Members of this company" in as_owner
    assert "Open (PID-" in as_owner and "Private (PID-" in as_owner
    assert "Date of birth" not in as_owner  # a company has none
    as_member = login_as("member@example.com").get(f"/contacts/{code}/").content.decode()
    members = as_member[as_member.index("Members of this company") :]
    assert "Open (PID-" in members
    assert "Private (PID-" not in members


def test_the_history_is_newest_first_and_names_the_listener(owner, post, listener):
    created = post.action("add-contact", {"name": "Timeline", "emails": [{"value": "t@x.io"}]})
    post.action("update-contact", {"emails": [{"value": "t@x.io"}], "title": "Boss"})
    post.action("add-contact", {"name": "Timeline", "emails": [{"value": "t@x.io"}]})
    page = owner.get(f"/contacts/{created['record']['customerId']}/").content.decode()
    timeline = page[page.index('id="history-title"') :]
    arrived = timeline.index("Arrived again through listener “Web form”")
    updated = timeline.index("Updated by listener “Web form”")
    made = timeline.index("Created by listener “Web form”")
    assert arrived < updated < made
    assert f'href="/settings/webhook/listeners/{listener.id}/"' in timeline
    # Each line links to the delivery that wrote it.
    first_request = re.findall(
        r'href="(/settings/webhook/listeners/\d+/requests/[^"]+)"', timeline
    )[-1]
    delivery_page = owner.get(first_request, follow=True).content.decode()
    assert "1 created" in delivery_page


def test_a_members_timeline_does_not_link_to_listener_settings(login_as, post, listener):
    created = post.action("add-contact", {"name": "Seen by member"})
    member = login_as("member@example.com")
    page = member.get(f"/contacts/{created['record']['customerId']}/").content.decode()
    assert "Web form" in page
    assert f'href="/settings/webhook/listeners/{listener.id}/"' not in page


def test_a_leads_page_shows_its_company_as_written(owner, post):
    lead = post.action("add-lead", sample("add-lead")["data"][0]["data"])
    page = owner.get(f"/leads/{lead['record']['customerId']}/").content.decode()
    assert "GOOGLE" in page
    assert "Website lead" in page
    assert "webhook" in page  # its own tag, not the listener's default


def test_codes_are_read_in_any_case(owner, post):
    created = post.action("add-contact", {"name": "Casual"})
    code = created["record"]["customerId"].lower()
    assert owner.get(f"/contacts/{code}/").status_code == 200


def test_a_detail_page_costs_the_same_few_queries_however_long_its_history(
    owner, post, django_assert_max_num_queries
):
    created = post.action("add-contact", {"name": "Busy", "emails": [{"value": "b@x.io"}]})
    for n in range(8):
        post.action("update-contact", {"emails": [{"value": "b@x.io"}], "title": f"T{n}"})
    with django_assert_max_num_queries(12):
        page = owner.get(f"/contacts/{created['record']['customerId']}/")
    assert page.content.decode().count("Updated by listener") == 8


def test_an_accounts_history_includes_its_contacts_lines_the_member_may_see(owner, post, login_as):
    member = login_as("member@example.com")
    company = post.action("add-contact", {"type": 1, "name": "HTK Labs"})["record"]["customerId"]
    data = sample("add-contact")["data"][0]["data"]
    data["companyContact"] = {"customerId": company}
    huy = post.action("add-contact", data)["record"]["customerId"]
    post.action("update-contact", {"customerId": huy, "title": "CTO"})
    secret = post.action(
        "add-contact",
        {"name": "Secret", "permit": {"status": 2}, "companyContact": {"customerId": company}},
    )["record"]["customerId"]

    page = owner.get(f"/contacts/{company}/").content.decode()
    timeline = page[page.index('id="history-title"') :]
    # Huy's own lines (created, updated) are on the company's timeline, marked as his.
    assert "Updated by listener" in timeline and "title: “This is title” → “CTO”" in timeline
    assert f'on <a href="/contacts/{huy}/">Huy Nguyen ({huy})</a>' in timeline
    assert f"({secret})</a>" in timeline

    seen = member.get(f"/contacts/{company}/").content.decode()
    seen = seen[seen.index('id="history-title"') :]
    assert f"({huy})</a>" in seen
    assert secret not in seen and "Secret" not in seen  # a private contact stays private
