"""Issue 17, points 7 and 8: a search that finds people, and lists that sort, filter
and export what the member may see."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.models import Role
from crmdp.orgs.services import org_create, user_add
from crmdp.web import records
from crmdp.web.pages import related
from crmdp.web.records import csv_safe
from tests.conftest import Poster
from tests.listeners.guide_org import set_up_guide_org
from tests.web.conftest import names_listed, section


@pytest.fixture
def guide_org(org):
    """The stages and groups deals and tickets name."""
    set_up_guide_org(org)
    return org


def deal(name, customer, **fields):
    return {"name": name, "stage": "New", "dealWith": {"customerId": customer}, **fields}


@pytest.fixture
def thu(post):
    """A contact at HTK Labs, with an email and a phone."""
    post.action("add-contact", {"name": "Someone", "lastname": "Else"})
    return post.action(
        "add-contact",
        {
            "name": "Thu",
            "lastname": "Tran",
            "emails": [{"value": "Thu.Tran@HTKLabs.com"}],
            "phones": [{"value": "0905 000 001"}],
            "companyContact": {"name": "Acme Trading"},
        },
    )["record"]["customerId"]


@pytest.mark.parametrize(
    "query",
    [
        "Tran",  # the last name alone
        "tran thu",  # last name first, as many write it
        "Thu Tran",  # "First Last"
        "thu tr",
        "thu.tran@htklabs.com",  # a whole email
        "thu.tran",  # the start of one
        "htklabs.com",  # its domain
        "@htklabs",
        "+84 905 000 001",  # a phone in any format
        "0905-000-001",
        "(090) 5000001",
        "84905000001",
        "Acme",  # its company's name
        "acme trading",
    ],
)
def test_the_contacts_search_finds_a_person_by_what_one_remembers(owner, thu, query):
    found = names_listed(owner.get("/contacts/", {"q": query}).content)
    assert "Thu Tran" in found, query
    assert "Someone Else" not in found


def test_a_lead_is_found_by_the_company_it_names(owner, post):
    post.action("add-lead", {"name": "Minh", "lastname": "Le", "companyLead": "Blue Sky Ltd"})
    post.action("add-lead", {"name": "Other"})
    assert names_listed(owner.get("/leads/", {"q": "blue sky"}).content) == ["Minh Le"]
    assert names_listed(owner.get("/leads/", {"q": "Le"}).content) == ["Minh Le"]


def test_the_search_page_lists_people_deals_and_tickets(guide_org, owner, post, thu):
    post.action("add-deal", deal("Tran family booking", thu))
    page = owner.get("/search/", {"q": "tran"})
    assert page.status_code == 200
    assert "Thu Tran" in section(page.content, "Contacts and accounts")
    assert "Tran family booking" in section(page.content, "Deals")
    assert "No tickets." in section(page.content, "Tickets")


def test_a_code_in_the_search_box_opens_its_record(guide_org, owner, post, thu):
    lead = post.action("add-lead", {"name": "A lead"})["record"]["customerId"]
    big = post.action("add-deal", deal("Big one", thu))
    ticket = post.action("add-ticket", {"title": "Broken", "body": "x", "customerId": thu})
    assert owner.get("/search/", {"q": thu.lower()})["Location"] == f"/contacts/{thu}/"
    assert owner.get("/search/", {"q": lead})["Location"] == f"/leads/{lead}/"
    code = ticket["record"]["code"]
    assert owner.get("/search/", {"q": code})["Location"] == f"/tickets/{code}/"
    number = big["record"]["id"]
    assert owner.get("/search/", {"q": f"#{number}"})["Location"] == f"/deals/{number}/"
    # An unknown code finds nothing, and says so.
    missing = owner.get("/search/", {"q": "PID-999"})
    assert missing.status_code == 200
    assert "No contacts or accounts." in section(missing.content, "Contacts and accounts")


def test_the_search_never_finds_another_orgs_records(owner, org, db):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    theirs = Poster(Client(), listener_create(org=other, settings=ListenerSettings(name="T")))
    code = theirs.action(
        "add-contact",
        {"name": "Far", "lastname": "Away", "emails": [{"value": "far@away.example"}]},
        sender="boss@other.example",
    )["record"]["customerId"]
    ticket = theirs.action(
        "add-ticket", {"title": "Theirs", "body": "x"}, sender="boss@other.example"
    )
    for query in ("Away", "far@away.example", "away.example", code, ticket["record"]["code"]):
        response = owner.get("/search/", {"q": query})
        assert response.status_code == 200, query  # no redirect to their record
        assert b"Far Away" not in response.content
        assert b"Far Away" not in owner.get("/contacts/", {"q": query}).content
    export = owner.get("/contacts/", {"export": "csv"})
    assert "Far Away" not in b"".join(export.streaming_content).decode()


def test_a_member_searching_a_company_does_not_see_hidden_people_or_companies(post, login_as):
    post.action(
        "add-contact",
        {"name": "Secret", "companyContact": {"name": "Hidden Co"}, "permit": {"status": 2}},
    )
    post.action("add-contact", {"name": "Open", "lastname": "Person", "permit": {"status": 1}})
    member = login_as("member@example.com")
    assert "Secret" not in names_listed(member.get("/contacts/", {"q": "hidden"}).content)
    assert member.get("/search/", {"q": "PID-1"}).status_code == 200  # not opened


def _headers_and_rows(response):
    text = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(text)))
    return table[0], table[1:]


def test_the_list_sorts_by_a_column_both_ways(owner, post):
    for name in ("Bao", "An", "Cuong"):
        post.action("add-contact", {"name": name})
    assert names_listed(owner.get("/contacts/", {"sort": "name"}).content) == ["An", "Bao", "Cuong"]
    page = owner.get("/contacts/", {"sort": "-name"})
    assert names_listed(page.content) == ["Cuong", "Bao", "An"]
    assert b'aria-sort="descending"' in page.content
    # Not a sortable column: the newest first, as without a sort.
    for unknown in ("emails", "password", "-org__name", "name;drop"):
        listed = names_listed(owner.get("/contacts/", {"sort": unknown}).content)
        assert listed == ["Cuong", "An", "Bao"], unknown


def test_deals_and_tickets_sort_by_their_columns(guide_org, owner, post, thu):
    post.action("add-deal", deal("Small", thu, value=10))
    post.action("add-deal", deal("Large", thu, value=5000))
    assert names_listed(owner.get("/deals/", {"sort": "-value"}).content) == ["Large", "Small"]
    post.action("add-ticket", {"title": "Zebra", "body": "x"})
    post.action("add-ticket", {"title": "Apple", "body": "x"})
    assert names_listed(owner.get("/tickets/", {"sort": "title"}).content) == ["Apple", "Zebra"]


def test_the_csv_export_has_what_the_filter_shows_in_its_order(owner, post):
    post.action(
        "add-contact",
        {"name": "Tagged B", "tag": "vip", "emails": [{"value": "b@x.io"}, {"value": "b2@x.io"}]},
    )
    post.action("add-contact", {"name": "Tagged A", "tag": "vip"})
    post.action("add-contact", {"name": "Untagged"})
    response = owner.get("/contacts/", {"tag": "vip", "sort": "name", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    header, rows = _headers_and_rows(response)
    assert header[:2] == ["Name", "Code"]
    assert [row[0] for row in rows] == ["Tagged A", "Tagged B"]
    assert rows[1][header.index("Email")] == "b@x.io, b2@x.io"  # every email, not "+1"
    listing = owner.get("/contacts/", {"tag": "vip", "sort": "name"})
    assert b"Export CSV" in listing.content
    assert b"?tag=vip&amp;sort=name&amp;export=csv" in listing.content


def test_a_member_exports_only_what_they_may_see(post, login_as):
    post.action("add-contact", {"name": "Secret", "permit": {"status": 2}})
    post.action("add-contact", {"name": "Shared", "permit": {"status": 1}})
    member = login_as("member@example.com")
    _, rows = _headers_and_rows(member.get("/contacts/", {"export": "csv"}))
    assert [row[0] for row in rows] == ["Shared"]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(owner, post):
    post.action(
        "add-contact",
        {"name": '=HYPERLINK("http://evil","x")', "phones": [{"value": "+84 905 000 001"}]},
    )
    _, rows = _headers_and_rows(owner.get("/contacts/", {"export": "csv"}))
    assert rows[0][0].startswith("'=HYPERLINK")
    assert rows[0][5] == "+84 905 000 001"  # a number keeps its sign
    for dangerous in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert csv_safe(dangerous) == "'" + dangerous
    for harmless in ("plain", "+84905000001", "-5", "-1.5", "a=b"):
        assert csv_safe(harmless) == harmless


def test_the_export_stops_at_its_cap_and_says_so(owner, post, monkeypatch):
    monkeypatch.setattr(records, "CSV_EXPORT_MAX_ROWS", 3)
    post.actions(*[("add-contact", {"name": f"P{n}"}) for n in range(5)])
    _, rows = _headers_and_rows(owner.get("/contacts/", {"export": "csv"}))
    assert [row[0] for row in rows[:3]] == ["P4", "P3", "P2"]
    assert rows[3][0].startswith("Only the first 3 rows")
    assert len(rows) == 4


@pytest.mark.parametrize("path", ["/contacts/", "/leads/", "/deals/", "/tickets/", "/search/"])
def test_list_and_search_pages_cost_a_fixed_number_of_queries(
    guide_org, owner, post, path, django_assert_max_num_queries
):
    user_add(org=guide_org, email="member@example.com", role=Role.MEMBER)
    for n in range(15):
        code = post.action(
            "add-contact",
            {"name": f"Tran {n}", "companyContact": {"name": f"Co {n}"}, "tag": "t"},
        )["record"]["customerId"]
        post.action("add-lead", {"name": f"Tran lead {n}", "companyLead": "Co"})
        post.action("add-deal", deal(f"Tran deal {n}", code))
        post.action("add-ticket", {"title": f"Tran ticket {n}", "body": "x", "customerId": code})
    with django_assert_max_num_queries(16):
        response = owner.get(path, {"q": "tran", "sort": "created"})
    assert len(names_listed(response.content)) >= 10
    with django_assert_max_num_queries(16):
        export = owner.get(path, {"export": "csv"})
        if path != "/search/":
            b"".join(export.streaming_content)


def test_a_query_with_a_nul_byte_is_an_empty_search_not_an_error(owner, thu):
    # PostgreSQL cannot compare text holding NUL: the box refuses it as the lists do.
    response = owner.get("/search/", {"q": "Thu\x00"})
    assert response.status_code == 200
    assert names_listed(response.content) == []


def test_a_search_matching_very_many_counts_them_only_up_to_a_bound(owner, post, monkeypatch):
    """ "All N →" under a search result counts at most COUNTED_UP_TO records (the
    count's own query is bounded), and says "N+" past it."""
    monkeypatch.setattr(related, "COUNTED_UP_TO", 12)
    post.actions(*[("add-contact", {"name": f"Nguyen {n}"}) for n in range(11)])
    people = section(owner.get("/search/", {"q": "nguyen"}).content, "Contacts and accounts")
    assert "All 11 →" in people
    post.actions(*[("add-contact", {"name": f"Nguyen {n}"}) for n in range(11, 16)])
    with CaptureQueriesContext(connection) as queries:
        people = section(owner.get("/search/", {"q": "nguyen"}).content, "Contacts and accounts")
    assert "All 12+ →" in people
    (count,) = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "nguyen" in q["sql"]]
    assert "LIMIT 13" in count.upper()
