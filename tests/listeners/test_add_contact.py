"""add-contact (SPEC §4, §5): reading the values, finding duplicates, companies,
the listener's defaults."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client

from crmdp.customers.models import Customer
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.services import field_add, org_create
from tests.conftest import SENDER, Poster, sample, sample_action


def created(post, data, **extra):
    result = post.action("add-contact", data, **extra)
    assert result["status"] == "created", result
    return result


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


# -- creating -------------------------------------------------------------------------


def test_add_contact_creates_a_person_with_a_pid_code(post, owner_api):
    result = created(post, {"name": "Lan", "lastname": "Tran", "title": "CFO"})
    record = result["record"]
    assert record["type"] == "contact"
    assert record["customerId"] == "PID-1"  # the org's first contact
    assert result["matchedOn"] is None
    assert result["related"] == []
    shown = owner_api.customer(record["customerId"])
    assert (shown["type"], shown["name"], shown["lastname"], shown["title"]) == (
        "contact",
        "Lan",
        "Tran",
        "CFO",
    )
    assert shown["owner"] == SENDER
    assert shown["gender"] == 2  # the default: other
    assert shown["permit"] == {"status": 1, "group": None, "users": []}


@pytest.mark.parametrize("record_type", [1, "1", " 1 "])
def test_type_1_creates_an_account_with_a_cid_code(post, record_type):
    record = created(post, {"name": "Acme", "type": record_type})["record"]
    assert record["type"] == "account"
    assert record["customerId"] == "CID-1"  # the org's first account


def test_numbers_may_arrive_as_strings(post, owner_api):
    record = created(post, {"name": "Lan", "type": "0", "gender": "0"})["record"]
    assert record["type"] == "contact"
    assert owner_api.customer(record["customerId"])["gender"] == 0


def test_an_impossible_gender_is_a_warning_and_the_default_is_kept(post, owner_api):
    result = created(post, {"name": "Lan", "gender": 7})
    assert "data[0].data.gender" in warnings_of(result)
    assert owner_api.customer(result["record"]["customerId"])["gender"] == 2


@pytest.mark.parametrize(
    "data", [{"lastname": "Tran"}, {"name": ""}, {"name": None}, {"name": " "}]
)
def test_a_contact_without_a_name_is_an_error_and_nothing_is_created(post, data):
    result = post.action("add-contact", data)
    assert result["status"] == "error"
    assert result["errors"][0]["field"] == "data[0].data.name"
    assert result["record"] is None
    assert not Customer.objects.exists()


def test_data_that_is_not_an_object_is_an_error(post):
    result = post.action("add-contact", ["Lan"])
    assert result["status"] == "error"
    assert result["errors"][0]["field"] == "data[0].data"


def test_the_history_line_names_the_listener_and_the_sender(post, owner_api):
    code = created(post, {"name": "Lan"})["record"]["customerId"]
    (line,) = owner_api.customer(code)["history"]
    assert "Web form" in line["text"]
    assert SENDER in line["text"]


# -- reading the values ---------------------------------------------------------------


def test_emails_are_trimmed_and_lower_cased(post, owner_api):
    code = created(post, {"name": "Lan", "emails": [{"value": "  Lan.Tran@Example.COM "}]})[
        "record"
    ]["customerId"]
    assert owner_api.customer(code)["emails"] == [
        {"type": "Other", "value": "lan.tran@example.com"}
    ]


def test_an_invalid_email_is_kept_with_a_warning_and_not_matched(post, owner_api):
    data = {"name": "Lan", "emails": [{"type": "Work", "value": "lan at example"}]}
    first = created(post, data)
    assert "not a valid email" in warnings_of(first)["data[0].data.emails[0].value"]
    shown = owner_api.customer(first["record"]["customerId"])
    assert shown["emails"] == [{"type": "Work", "value": "lan at example"}]
    # The same invalid email again is no evidence of the same person.
    assert created(post, data)["record"]["id"] != first["record"]["id"]


def test_phones_are_read_to_e164_in_the_org_region(post, owner_api):
    code = created(post, {"name": "Lan", "phones": [{"type": "mobile", "value": "0905 000 001"}]})[
        "record"
    ]["customerId"]
    assert owner_api.customer(code)["phones"] == [
        {"type": "Mobile", "value": "0905 000 001", "e164": "+84905000001"}
    ]


def test_an_org_in_another_region_reads_its_own_national_numbers(db):
    org, _ = org_create(name="US Org", owner_email="boss@us.example", phone_region="US")
    poster = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="Form")))
    result = poster.action(
        "add-contact",
        {"name": "Joe", "phones": [{"value": "(202) 555-0143"}]},
        sender="boss@us.example",
    )
    customer = Customer.objects.get(id=result["record"]["id"])
    assert customer.phones[0]["e164"] == "+12025550143"


def test_an_unreadable_phone_is_kept_with_a_warning_and_never_matched(post, owner_api):
    first = created(post, {"name": "Lan", "phones": [{"value": "ext 12"}]})
    assert "phone number in region VN" in warnings_of(first)["data[0].data.phones[0].value"]
    shown = owner_api.customer(first["record"]["customerId"])
    assert shown["phones"] == [{"type": "Other", "value": "ext 12", "e164": None}]
    again = post.action("add-contact", {"name": "Lan", "phones": [{"value": "1-2"}]})
    assert again["status"] == "created"


def test_a_possible_but_invalid_phone_is_kept_marked_invalid_and_never_matched(post, owner_api):
    # The guide's own sample number: eleven digits of Vietnam's retired mobile plan.
    # Two people who typed it are not one person (SPEC §4).
    first = created(post, {"name": "Lan", "phones": [{"type": "Mobile", "value": "01234567890"}]})
    warning = warnings_of(first)["data[0].data.phones[0].value"]
    assert "not a valid phone number in region VN" in warning
    shown = owner_api.customer(first["record"]["customerId"])
    assert shown["phones"] == [{"type": "Mobile", "value": "01234567890", "e164": None}]
    again = post.action("add-contact", {"name": "Minh", "phones": [{"value": "+841234567890"}]})
    assert again["status"] == "created"
    assert again["record"] != first["record"]
    assert owner_api.get("/api/v1/customers", phone="01234567890").json["results"] == []


def test_a_contact_point_type_outside_the_list_is_stored_as_other_with_a_warning(post, owner_api):
    result = created(post, {"name": "Lan", "emails": [{"type": "Pager", "value": "a@b.co"}]})
    assert "Work, Home, Mobile, Other" in warnings_of(result)["data[0].data.emails[0].type"]
    assert owner_api.customer(result["record"]["customerId"])["emails"][0]["type"] == "Other"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)", "1993-01-01"),
        ("1993-01-01", "1993-01-01"),
        ("1993-01-01T00:00:00+07:00", "1993-01-01"),
        ("13/02/1993", "1993-02-13"),  # 13 can only be the day
        (19930101, "1993-01-01"),  # YYYYMMDD, a number or a string
        ("19930101", "1993-01-01"),
        (725846400000, "1993-01-01"),  # epoch milliseconds
        ("725846400000", "1993-01-01"),
        (725821200, "1993-01-01"),  # epoch seconds: midnight in Vietnam, 31 Dec in UTC
    ],
)
def test_date_of_birth_in_every_documented_form(post, owner_api, raw, expected):
    result = created(post, {"name": "Lan", "dateOfBirth": raw})
    assert result["warnings"] == []
    assert owner_api.customer(result["record"]["customerId"])["dateOfBirth"] == expected


def test_an_unreadable_date_of_birth_is_ignored_with_a_warning(post, owner_api):
    result = created(post, {"name": "Lan", "dateOfBirth": "the day after tomorrow"})
    assert "not a date" in warnings_of(result)["data[0].data.dateOfBirth"]
    assert owner_api.customer(result["record"]["customerId"])["dateOfBirth"] is None


@pytest.mark.parametrize(
    "country", [{"code": "VN", "name": "Vietnam"}, "VN", "vn", "Viet Nam", {"code": "VN"}]
)
def test_countries_are_stored_as_iso_code_and_name(post, owner_api, country):
    result = created(post, {"name": "Lan", "addresses": [{"city": "Da Nang", "country": country}]})
    assert result["warnings"] == []
    (address,) = owner_api.customer(result["record"]["customerId"])["addresses"]
    assert address["country"]["code"] == "VN"
    assert address["country"]["name"]
    assert address["city"] == "Da Nang"
    assert address["type"] == "Other"


def test_an_unknown_country_is_kept_as_given_with_a_warning(post, owner_api):
    result = created(post, {"name": "Lan", "addresses": [{"country": "Atlantis"}]})
    assert "Atlantis" in warnings_of(result)["data[0].data.addresses[0].country"]
    (address,) = owner_api.customer(result["record"]["customerId"])["addresses"]
    assert address["country"] == {"code": None, "name": "Atlantis"}


def test_im_handles_and_websites_are_kept(post, owner_api):
    result = created(
        post,
        {
            "name": "Lan",
            "im": [{"protocol": "skype", "value": "lan.t"}, {"protocol": "ICQ", "value": "1"}],
            "websites": [{"value": "lan.example"}, "second.example"],
        },
    )
    assert "data[0].data.im[1].protocol" in warnings_of(result)
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["im"] == [
        {"protocol": "Skype", "value": "lan.t"},
        {"protocol": "Other", "value": "1"},
    ]
    assert shown["websites"] == [{"value": "lan.example"}, {"value": "second.example"}]


@pytest.mark.parametrize(
    "tag",
    ["vip, gold, VIP", ["vip", "gold", " Vip "], "vip,,gold, ,"],
    ids=["text", "list", "gaps"],
)
def test_tags_as_text_or_array_deduplicated_case_insensitively(post, owner_api, tag):
    code = created(post, {"name": "Lan", "tag": tag})["record"]["customerId"]
    assert owner_api.customer(code)["tags"] == ["vip", "gold"]


def test_empty_strings_and_nulls_mean_not_given(post, owner_api):
    result = created(
        post,
        {
            "name": "Lan",
            "lastname": "",
            "title": None,
            "gender": "",
            "dateOfBirth": "",
            "passport": "",
            "emails": [{"value": ""}],
            "phones": "",
            "addresses": [],
            "websites": [{"value": ""}],
            "tag": "",
            "permit": None,
            "companyContact": None,
        },
    )
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["emails"] == shown["phones"] == shown["websites"] == []
    assert shown["dateOfBirth"] is None
    assert shown["company"] is None
    assert shown["tags"] == ["website"]  # the listener's default tag


def test_unknown_keys_are_warnings_naming_their_path(post):
    result = created(
        post,
        {
            "name": "Lan",
            "foo": 1,
            "emails": [{"value": "lan@example.com", "primary": True}],
            "companyContact": {
                "name": "Acme",
                "ceo": "X",
                "emails": [{"value": "a@acme.vn", "x": 1}],
            },
            "addresses": [{"city": "Hà Nội", "country": {"code": "VN", "flag": "🇻🇳"}}],
        },
    )
    warnings = warnings_of(result)
    assert warnings["data[0].data.foo"] == "unknown field; ignored"
    assert warnings["data[0].data.emails[0].primary"] == "unknown field; ignored"
    assert warnings["data[0].data.companyContact.ceo"] == "unknown field; ignored"
    # Objects inside objects inside lists, at every depth.
    assert warnings["data[0].data.companyContact.emails[0].x"] == "unknown field; ignored"
    assert warnings["data[0].data.addresses[0].country.flag"] == "unknown field; ignored"
    assert result["errors"] == []


def test_a_value_of_the_wrong_shape_is_dropped_with_a_warning_and_the_rest_kept(post, owner_api):
    result = created(post, {"name": "Lan", "title": {"x": 1}, "emails": [{"value": "l@x.io"}]})
    assert "data[0].data.title" in warnings_of(result)
    shown = owner_api.customer(result["record"]["customerId"])
    assert (shown["title"], shown["emails"][0]["value"]) == ("", "l@x.io")


def test_a_value_longer_than_its_column_is_ignored_with_a_warning(post, owner_api):
    result = created(post, {"name": "Lan", "lastname": "L" * 501, "passport": "P" * 201})
    warnings = warnings_of(result)
    assert warnings["data[0].data.lastname"] == "longer than 500 characters; ignored"
    assert warnings["data[0].data.passport"] == "longer than 200 characters; ignored"
    shown = owner_api.customer(result["record"]["customerId"])
    assert (shown["lastname"], shown["passport"]) == ("", "")


def test_a_name_longer_than_its_column_cannot_create_a_contact(post):
    result = post.action("add-contact", {"name": "N" * 501})
    assert result["status"] == "error"
    assert {e["field"] for e in result["errors"]} == {"data[0].data.name"}
    assert "longer than 500" in warnings_of(result)["data[0].data.name"]
    assert not Customer.objects.exists()


# -- custom fields --------------------------------------------------------------------


def test_an_ambiguous_date_of_birth_is_read_day_first_in_vietnam_with_a_warning(post, owner_api):
    result = created(post, {"name": "Lan", "dateOfBirth": "01/02/1993"})
    warning = warnings_of(result)["data[0].data.dateOfBirth"]
    assert "day first or month first" in warning and "1993-02-01" in warning
    assert owner_api.customer(result["record"]["customerId"])["dateOfBirth"] == "1993-02-01"


def test_a_us_org_reads_dates_month_first_and_instants_on_its_own_calendar(db):
    org, _ = org_create(name="US Org", owner_email="boss@us.example", phone_region="US")
    assert (org.country, org.timezone) == ("US", "America/New_York")
    poster = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="Form")))
    sent = {"01/02/1993": date(1993, 1, 2), 725846400: date(1992, 12, 31)}
    for raw, expected in sent.items():
        result = poster.action(
            "add-contact", {"name": "Joe", "dateOfBirth": raw}, sender="boss@us.example"
        )
        assert Customer.objects.get(id=result["record"]["id"]).date_of_birth == expected


@pytest.fixture
def fields(org):
    return {
        "text": field_add(org=org, record_type="contact", name="Referred By", field_type="text"),
        "number": field_add(org=org, record_type="contact", name="Budget", field_type="number"),
        "date": field_add(org=org, record_type="contact", name="Enrolled On", field_type="date"),
        "checkbox": field_add(
            org=org,
            record_type="contact",
            name="Animals",
            field_type="checkbox",
            choices=["Dog", "Cat", "Bird"],
        ),
        "inline": field_add(
            org=org, record_type="contact", name="Days", field_type="inline_checkbox"
        ),
        "select": field_add(
            org=org, record_type="contact", name="Size", field_type="select", choices=["S", "M"]
        ),
    }


def test_custom_fields_are_read_by_name_and_type(post, owner_api, fields):
    result = created(
        post,
        {
            "name": "Lan",
            "cusFields": [
                {"name": "referred by", "value": "Cong Nguyen"},
                {"name": "BUDGET", "value": "50000"},
                {"name": "Enrolled On", "value": "20190708"},
                {"name": "animals", "value": "dog|Cat"},
                {"name": "Days", "value": "Mon|Tue"},
                {"name": "size", "value": "m"},
            ],
        },
    )
    assert result["warnings"] == []
    assert owner_api.customer(result["record"]["customerId"])["customFields"] == {
        "Referred By": "Cong Nguyen",
        "Budget": "50000",
        "Enrolled On": "2019-07-08",  # ISO 8601, whatever came in
        "Animals": ["Dog", "Cat"],
        "Days": ["Mon", "Tue"],
        "Size": "M",
    }


def test_unknown_custom_fields_and_misfit_values_are_skipped_with_warnings(post, owner_api, fields):
    result = created(
        post,
        {
            "name": "Lan",
            "cusFields": [
                {"name": "Shoe size", "value": "42"},
                {"name": "Budget", "value": "a lot"},
                {"name": "Enrolled On", "value": "someday"},
                {"name": "Animals", "value": "Dog|Fish"},
                {"name": "Size", "value": "XL"},
                {"name": "Referred By", "value": "Cong"},
            ],
        },
    )
    warnings = warnings_of(result)
    assert "Shoe size" in warnings["data[0].data.cusFields[0].name"]
    assert "not a number" in warnings["data[0].data.cusFields[1].value"]
    assert "not a date" in warnings["data[0].data.cusFields[2].value"]
    assert "Fish" in warnings["data[0].data.cusFields[3].value"]
    assert "XL" in warnings["data[0].data.cusFields[4].value"]
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["customFields"] == {"Referred By": "Cong"}


def test_lead_custom_fields_do_not_apply_to_contacts(post, org):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    result = created(post, {"name": "Lan", "cusFields": [{"name": "Referred By", "value": "x"}]})
    assert "no contact custom field" in warnings_of(result)["data[0].data.cusFields[0].name"]


# -- the listener's defaults ----------------------------------------------------------


def test_a_new_contact_gets_the_default_source_and_tag(post, owner_api):
    code = created(post, {"name": "Lan"})["record"]["customerId"]
    shown = owner_api.customer(code)
    assert shown["source"] == "Website"
    assert shown["tags"] == ["website"]


def test_the_default_tag_is_not_given_when_the_data_has_a_tag_of_its_own(post, owner_api):
    code = created(post, {"name": "Lan", "tag": "webhook"})["record"]["customerId"]
    assert owner_api.customer(code)["tags"] == ["webhook"]


@pytest.mark.parametrize("field", ["source", "channel"])
def test_a_source_sent_in_the_data_is_never_used(post, owner_api, org, field):
    result = created(post, {"name": "Lan", field: "Facebook Ads"})
    assert f"data[0].data.{field}" in warnings_of(result)
    assert owner_api.customer(result["record"]["customerId"])["source"] == "Website"


def test_a_listener_without_defaults_gives_no_source_and_no_tag(org, owner_api):
    plain = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="Bare")))
    code = plain.action("add-contact", {"name": "Lan"})["record"]["customerId"]
    shown = owner_api.customer(code)
    assert (shown["source"], shown["tags"]) == (None, [])


# -- duplicates -----------------------------------------------------------------------


@pytest.fixture
def lan(post):
    """An existing contact with every identity key."""
    return created(
        post,
        {
            "name": "Lan",
            "title": "CFO",
            "contactId": "ext-77",
            "passport": "B 1234",
            "emails": [{"value": "lan@example.com"}],
            "phones": [{"value": "0905 000 001"}],
            "tag": "original",
        },
    )["record"]


@pytest.mark.parametrize(
    ("data", "matched_on"),
    [
        ({"contactId": "ext-77"}, "contactId"),
        ({"passport": " b1234 "}, "passport"),
        ({"emails": [{"value": "other@example.com"}, {"value": "LAN@example.com "}]}, "email"),
        ({"phones": [{"value": "+84905000001"}]}, "phone"),
        ({"phones": [{"value": "84-905-000-001"}]}, "phone"),
        # One person, one record (SPEC §4): what an IME or a copied web page adds.
        ({"contactId": " ｅｘｔ－７７\u200b"}, "contactId"),
        ({"passport": "Ｂ１２３４"}, "passport"),
        ({"passport": "B\u200b12\u00a034"}, "passport"),
        ({"emails": [{"value": "ｌａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"}]}, "email"),
        ({"phones": [{"value": "０９０５ ０００ ００１"}]}, "phone"),
    ],
)
def test_a_contact_that_exists_is_a_duplicate_matched_on_its_key(post, lan, data, matched_on):
    result = post.action("add-contact", {"name": "Someone", **data})
    assert result["status"] == "duplicate"
    assert result["matchedOn"] == matched_on
    assert result["record"] == lan
    assert Customer.objects.count() == 1


def test_an_internationalised_domain_matches_its_punycode_form(post):
    first = created(post, {"name": "Jörg", "emails": [{"value": "jorg@Bücher.de"}]})
    again = post.action(
        "add-contact", {"name": "Jorg", "emails": [{"value": "JORG@xn--bcher-kva.de"}]}
    )
    assert (again["status"], again["matchedOn"]) == ("duplicate", "email")
    assert again["record"] == first["record"]


def test_an_update_finds_a_contact_by_a_full_width_passport(post, lan, owner_api):
    result = post.action("update-contact", {"passport": "ｂ　１２３４", "title": "CEO"})
    assert (result["status"], result["matchedOn"]) == ("updated", "passport")
    assert owner_api.customer(lan["customerId"])["title"] == "CEO"


def test_duplicate_keys_are_tried_contact_id_then_passport_then_email_then_phone(post):
    by_phone = created(post, {"name": "A", "phones": [{"value": "0905000009"}]})["record"]
    by_email = created(post, {"name": "B", "emails": [{"value": "b@example.com"}]})["record"]
    by_passport = created(post, {"name": "C", "passport": "C99"})["record"]
    by_contact_id = created(post, {"name": "D", "contactId": "D-1"})["record"]
    keys = {
        "phones": [{"value": "0905000009"}],
        "emails": [{"value": "b@example.com"}],
        "passport": "c99",
        "contactId": "D-1",
    }
    expected = [
        ("contactId", by_contact_id),
        ("passport", by_passport),
        ("email", by_email),
        ("phone", by_phone),
    ]
    for dropped, (matched_on, record) in zip(
        ["contactId", "passport", "emails", None], expected, strict=True
    ):
        result = post.action("add-contact", {"name": "X", **keys})
        assert (result["matchedOn"], result["record"]) == (matched_on, record)
        if dropped:
            keys.pop(dropped)


def test_a_duplicate_changes_nothing_but_a_history_line(post, lan, owner_api):
    before = owner_api.customer(lan["customerId"])
    result = post.action(
        "add-contact",
        {
            "name": "Other Name",
            "title": "CEO",
            "emails": [{"value": "lan@example.com"}, {"value": "new@example.com"}],
            "tag": "new-tag",
            "cusFields": [{"name": "x", "value": "y"}],
        },
    )
    assert result["status"] == "duplicate"
    after = owner_api.customer(lan["customerId"])
    assert after["history"][1:] == before["history"]
    line = after["history"][0]["text"]
    assert "matched on email lan@example.com" in line
    assert "Other Name" in line  # what arrived
    assert "new@example.com" in line
    assert "Web form" in line and SENDER in line
    del before["history"], after["history"]
    assert after == before


def test_a_duplicate_gets_no_default_tag_and_no_source(org, post, owner_api):
    other = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="Bare")))
    code = other.action("add-contact", {"name": "Lan", "passport": "X1"})["record"]["customerId"]
    assert post.action("add-contact", {"name": "Lan", "passport": "X1"})["status"] == "duplicate"
    shown = owner_api.customer(code)
    assert (shown["tags"], shown["source"]) == ([], None)


def test_contacts_and_accounts_match_each_other(post):
    account = created(post, {"name": "Acme", "type": 1, "emails": [{"value": "hi@acme.io"}]})
    result = post.action(
        "add-contact", {"name": "Acme person", "emails": [{"value": "hi@acme.io"}]}
    )
    assert result["status"] == "duplicate"
    assert result["record"] == account["record"]


def test_leads_do_not_match_contacts(post):
    post.action("add-lead", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    result = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    assert result["status"] == "created"


def test_names_alone_never_make_a_duplicate(post):
    created(post, {"name": "Lan"})
    created(post, {"name": "Lan"})


def test_records_of_another_org_are_never_duplicates(post, db):
    other_org, _ = org_create(name="Other", owner_email="boss@other.example")
    other = Poster(Client(), listener_create(org=other_org, settings=ListenerSettings(name="F")))
    data = {"name": "Lan", "passport": "Z9"}
    other.action("add-contact", data, sender="boss@other.example")
    assert post.action("add-contact", data)["status"] == "created"


# -- companyContact -------------------------------------------------------------------


def company_of(owner_api, result):
    return owner_api.customer(result["record"]["customerId"])["company"]


def test_company_contact_creates_the_account_and_links_it(post, owner_api):
    result = created(
        post,
        {
            "name": "Lan",
            "emails": [{"value": "lan@acme.io"}],
            "companyContact": {"name": "Acme", "emails": [{"value": "hi@acme.io"}]},
        },
    )
    (related,) = result["related"]
    assert related["type"] == "account"
    assert related["status"] == "created"
    assert related["customerId"] == "CID-1"  # the org's first account
    assert company_of(owner_api, result) == {"customerId": related["customerId"], "name": "Acme"}
    account = owner_api.customer(related["customerId"])
    assert account["emails"] == [{"type": "Other", "value": "hi@acme.io"}]
    assert (account["source"], account["tags"], account["owner"]) == (
        "Website",
        ["website"],
        SENDER,
    )
    texts = [line["text"] for line in account["history"]]
    assert any("Created by" in text and "companyContact" in text for text in texts)
    assert any(result["record"]["customerId"] in text for text in texts)


@pytest.mark.parametrize(
    "company",
    [
        ({"customerId": "{code}", "name": "Some other name"}, "customerId"),
        ({"customerId": " {lower} "}, "customerId"),
        ({"name": "  ACME   corp "}, "name"),
        ({"name": "Unknown", "emails": [{"value": "HI@acme.io"}]}, "email"),
        ({"name": "Unknown", "phones": [{"value": "+84 236 3822 222"}]}, "phone"),
    ],
    ids=["customerId", "customerId-any-case", "name", "email", "phone"],
)
def test_company_contact_links_an_existing_account(post, owner_api, company):
    company, key = company
    account = created(
        post,
        {
            "name": "Acme Corp",
            "type": 1,
            "emails": [{"value": "hi@acme.io"}],
            "phones": [{"value": "0236 3822 222"}],
        },
    )["record"]
    code = account["customerId"]
    filled = {
        key: value.format(code=code, lower=code.lower()) if isinstance(value, str) else value
        for key, value in company.items()
    }
    result = created(post, {"name": "Lan", "companyContact": filled})
    assert result["related"] == [{**account, "status": "linked", "matchedOn": key}]
    assert company_of(owner_api, result)["customerId"] == code
    assert Customer.objects.filter(kind="account").count() == 1


def test_company_names_match_whatever_their_unicode_form_and_case(post):
    account = created(post, {"name": "Công Ty Ánh Dương", "type": 1})["record"]
    decomposed = "CO\u0302NG TY A\u0301NH  DU\u031bO\u031bNG"
    result = created(post, {"name": "Lan", "companyContact": {"name": decomposed}})
    assert result["related"] == [{**account, "status": "linked", "matchedOn": "name"}]


def test_company_contact_looks_only_among_accounts(post, owner_api):
    person = created(post, {"name": "Acme", "emails": [{"value": "hi@acme.io"}]})["record"]
    result = created(
        post,
        {"name": "Lan", "companyContact": {"name": "Acme", "emails": [{"value": "hi@acme.io"}]}},
    )
    (related,) = result["related"]
    assert related["status"] == "created"
    assert related["id"] != person["id"]


def test_company_contact_prefers_the_name_over_emails(post):
    by_name = created(post, {"name": "Acme", "type": 1})["record"]
    created(post, {"name": "Other", "type": 1, "emails": [{"value": "hi@acme.io"}]})
    result = created(
        post,
        {"name": "Lan", "companyContact": {"name": "acme", "emails": [{"value": "hi@acme.io"}]}},
    )
    assert result["related"][0]["id"] == by_name["id"]


def test_a_new_company_without_a_name_is_a_warning_and_the_contact_is_created(post, owner_api):
    result = created(post, {"name": "Lan", "companyContact": {"emails": [{"value": "x@y.io"}]}})
    assert "data[0].data.companyContact.name" in warnings_of(result)
    assert result["related"] == []
    assert company_of(owner_api, result) is None


def test_company_contact_on_an_account_is_ignored_with_a_warning(post, owner_api):
    result = created(post, {"name": "Acme", "type": 1, "companyContact": {"name": "Parent"}})
    assert "data[0].data.companyContact" in warnings_of(result)
    assert result["related"] == []
    assert company_of(owner_api, result) is None
    assert Customer.objects.count() == 1


def test_a_duplicate_contact_is_not_linked_to_a_company(post, lan, owner_api):
    result = post.action(
        "add-contact", {"name": "Lan", "passport": "B1234", "companyContact": {"name": "Acme"}}
    )
    assert result["status"] == "duplicate"
    assert owner_api.customer(lan["customerId"])["company"] is None
    assert not Customer.objects.filter(kind="account").exists()


# -- the guide's sample and the hot path ----------------------------------------------


def test_guide_sample_creates_the_contact_with_every_value(post, owner_api):
    result = post(sample("add-contact")).json["results"][0]
    assert result["status"] == "created"
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["bgInfo"] == "Thành viên AntBuddy"
    assert shown["gender"] == 1
    assert shown["im"] == [{"protocol": "Facebook", "value": "Huy Nguyen Viet"}]


# On PostgreSQL one more statement takes the advisory locks on the identity keys.
LOCKS = 1 if connection.vendor == "postgresql" else 0
# New listeners have a rate limit (600 a minute): one indexed count per request.
RATE = 1


def test_creating_a_contact_costs_a_fixed_number_of_queries(post, django_assert_max_num_queries):
    # listener, sender, match, the new customers' ids, the org's number series
    # (read and locked, then written back), customer, keys, history, delivery, and
    # the request's transaction (a savepoint and its release, inside the test's
    # transaction). No savepoint per action: see test_envelope's failing actions.
    data = sample_action("add-contact")
    with django_assert_max_num_queries(12 + LOCKS + RATE):
        assert post.action("add-contact", data)["status"] == "created"


def test_a_duplicate_costs_a_fixed_number_of_queries(post, django_assert_max_num_queries):
    # listener, sender, match, history, delivery, the request's savepoint and release
    data = sample_action("add-contact")
    post.action("add-contact", data)
    with django_assert_max_num_queries(7 + LOCKS + RATE):
        assert post.action("add-contact", data)["status"] == "duplicate"


def test_a_batch_costs_queries_per_new_customer_not_per_lookup(post, django_assert_max_num_queries):
    # 100 actions: 50 new contacts, then the same 50 again (duplicates, found on email
    # through the batch's key index). Every key of the batch is read in one
    # query, the new customers' ids are taken in one, their codes' numbers in one
    # (and written back in one), and customers, keys, history and the delivery are
    # written once each for the whole batch: nothing is paid per action.
    new = [{"name": f"Batch {i}", "emails": [{"value": f"b{i}@batch.example"}]} for i in range(50)]
    again = [{"name": "Again", "emails": [{"value": f"b{i}@batch.example"}]} for i in range(50)]
    with django_assert_max_num_queries(13 + LOCKS):
        results = post.actions(*(("add-contact", data) for data in new + again))
    assert [r["status"] for r in results] == ["created"] * 50 + ["duplicate"] * 50


# -- numbering: ids taken before the rows are inserted -------------------------------


def test_a_batchs_new_customers_get_increasing_ids_in_their_order(post):
    results = post.actions(*(("add-contact", {"name": f"N{i}"}) for i in range(5)))
    ids = [result["record"]["id"] for result in results]
    assert ids == sorted(set(ids))
    if connection.vendor == "sqlite":
        assert ids == list(range(ids[0], ids[0] + 5))  # no gaps under the write lock
    assert list(Customer.objects.order_by("id").values_list("name", flat=True)) == [
        f"N{i}" for i in range(5)
    ]


def test_customers_inserted_at_once_and_later_never_share_an_id(post):
    # A and C wait to be inserted with the batch; B's company is looked up by its
    # row, so A is inserted before B runs, and B and its new company are inserted
    # at once. Whichever way a row goes in, ids follow the order of creation.
    results = post.actions(
        ("add-contact", {"name": "A"}),
        ("add-contact", {"name": "B", "companyContact": {"name": "B Co"}}),
        ("add-contact", {"name": "C"}),
    )
    assert [r["status"] for r in results] == ["created"] * 3
    names = dict(Customer.objects.values_list("name", "id"))
    assert set(names) == {"A", "B", "B Co", "C"}
    assert len(set(names.values())) == 4
    assert names["C"] > max(names["A"], names["B"], names["B Co"])


def test_a_deleted_customers_id_is_never_given_again(post):
    first = post.action("add-contact", {"name": "Gone"})["record"]["id"]
    Customer.objects.filter(id=first).delete()
    second = post.action("add-contact", {"name": "New"})["record"]["id"]
    assert second > first
