"""update-contact (SPEC §5): finding the one record meant, and merging what was sent."""

import pytest

from crmdp.customers.models import Customer
from crmdp.orgs.services import field_add, group_get_or_create, user_add
from tests.conftest import SENDER


def add(post, data, action="add-contact"):
    result = post.action(action, data)
    assert result["status"] == "created", result
    return result["record"]


def update(post, data, action="update-contact"):
    return post.action(action, data)


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


@pytest.fixture
def lan(post):
    return add(
        post,
        {
            "name": "Lan",
            "lastname": "Tran",
            "title": "CFO",
            "gender": 1,
            "bgInfo": "met at a fair",
            "dateOfBirth": "1990-05-06",
            "contactId": "ext-77",
            "passport": "B1234",
            "emails": [{"type": "Work", "value": "lan@example.com"}],
            "phones": [{"value": "0905 000 001"}],
            "addresses": [{"street": "1 Main St", "city": "Hue", "country": "VN"}],
            "im": [{"protocol": "Skype", "value": "lan.t"}],
            "websites": [{"value": "lan.example"}],
            "tag": "vip",
        },
    )


# -- finding the record ---------------------------------------------------------------


def test_an_update_without_any_identifying_key_is_an_error(post, lan, owner_api):
    result = update(post, {"name": "Lan", "title": "CEO"})
    assert result["status"] == "error"
    assert result["errors"][0]["field"] == "data[0].data"
    assert "customerId, contactId, passport, emails or phones" in result["errors"][0]["message"]
    assert owner_api.customer(lan["customerId"])["title"] == "CFO"


@pytest.mark.parametrize(
    ("keys", "matched_on"),
    [
        ({"customerId": "{code}"}, "customerId"),
        ({"customerId": "  {lower} "}, "customerId"),
        ({"contactId": "ext-77"}, "contactId"),
        ({"passport": "b 1234"}, "passport"),
        ({"emails": [{"value": "LAN@example.com"}]}, "email"),
        ({"phones": [{"value": "+84 905 000 001"}]}, "phone"),
    ],
)
def test_the_record_is_found_by_any_of_its_keys(post, lan, owner_api, keys, matched_on):
    code = lan["customerId"]
    filled = {
        key: value.format(code=code, lower=code.lower()) if isinstance(value, str) else value
        for key, value in keys.items()
    }
    result = update(post, {**filled, "title": "CEO"})
    assert result["status"] == "updated"
    assert result["matchedOn"] == matched_on
    assert result["record"] == lan
    assert owner_api.customer(code)["title"] == "CEO"


def test_an_unknown_customer_id_falls_back_to_the_next_key(post, lan):
    result = update(post, {"customerId": "PID-999999", "passport": "B1234", "title": "CEO"})
    assert (result["status"], result["matchedOn"]) == ("updated", "passport")


def test_the_customer_id_comes_before_every_other_key(post, lan):
    other = add(post, {"name": "Mai", "passport": "M1"})
    result = update(post, {"customerId": other["customerId"], "passport": "B1234", "title": "X"})
    assert (result["matchedOn"], result["record"]) == ("customerId", other)


def test_the_name_comes_before_emails_and_phones(post, lan):
    mai = add(post, {"name": "Mai", "emails": [{"value": "mai@example.com"}]})
    result = update(post, {"name": "Mai", "emails": [{"value": "lan@example.com"}], "title": "X"})
    assert (result["matchedOn"], result["record"]) == ("name", mai)


def test_several_candidates_are_narrowed_by_the_remaining_keys(post, owner_api):
    add(post, {"name": "Lan", "emails": [{"value": "lan1@example.com"}]})
    second = add(post, {"name": "Lan", "emails": [{"value": "lan2@example.com"}]})
    result = update(post, {"name": "lan", "emails": [{"value": "lan2@example.com"}], "title": "X"})
    assert (result["status"], result["record"]) == ("updated", second)
    assert result["matchedOn"] == "name"
    assert Customer.objects.get(title="X").id == second["id"]


def test_an_ambiguous_update_is_an_error_with_the_count_and_changes_nothing(post):
    for n in range(3):
        add(post, {"name": "Lan", "emails": [{"value": f"lan{n}@example.com"}]})
    result = update(post, {"name": "Lan", "phones": [{"value": "0905000001"}], "title": "X"})
    assert result["status"] == "error"
    assert result["record"] is None
    assert "3 records match" in result["errors"][0]["message"]
    assert not Customer.objects.filter(title="X").exists()
    assert not Customer.objects.filter(phones__icontains="0905000001").exists()


def test_no_match_is_not_found_and_nothing_is_created(post, lan):
    result = update(post, {"name": "Nobody", "passport": "NOPE", "emails": [{"value": "n@x.io"}]})
    assert result["status"] == "not_found"
    assert result["record"] is None
    assert result["errors"] == []
    assert Customer.objects.count() == 1


def test_update_contact_does_not_find_accounts_or_leads(post):
    add(post, {"name": "Acme", "type": 1, "passport": "ACC1"})
    add(post, {"name": "Lead", "passport": "LEAD1"}, action="add-lead")
    assert update(post, {"passport": "ACC1", "title": "X"})["status"] == "not_found"
    assert update(post, {"passport": "LEAD1", "title": "X"})["status"] == "not_found"


def test_update_contact_with_type_1_looks_among_accounts(post, owner_api):
    add(post, {"name": "Person", "passport": "SAME"})
    account = add(post, {"name": "Acme", "type": 1, "emails": [{"value": "hi@acme.io"}]})
    result = update(post, {"type": "1", "emails": [{"value": "hi@acme.io"}], "title": "Inc."})
    assert (result["status"], result["record"]) == ("updated", account)
    assert owner_api.customer(account["customerId"])["title"] == "Inc."


def test_a_cid_code_finds_the_account_without_type_1(post, owner_api):
    account = add(post, {"name": "Acme", "type": 1})
    result = update(post, {"customerId": account["customerId"].lower(), "title": "Inc."})
    assert (result["status"], result["matchedOn"], result["record"]) == (
        "updated",
        "customerId",
        account,
    )
    assert owner_api.customer(account["customerId"])["title"] == "Inc."


def test_a_pid_code_with_type_1_still_updates_the_person_it_names(post, lan, owner_api):
    code = lan["customerId"]
    result = update(post, {"type": 1, "customerId": code, "title": "X"})
    assert (result["status"], result["record"]) == ("updated", lan)
    assert warnings_of(result) == {
        "data[0].data.customerId": f'{code} names a contact; "type": 1 is ignored'
    }
    assert owner_api.customer(code)["title"] == "X"


def test_an_overlong_value_in_an_update_is_ignored_and_the_rest_applied(post, lan, owner_api):
    result = update(post, {"passport": "B1234", "title": "T" * 501, "lastname": "Nguyen"})
    assert result["status"] == "updated"
    assert "longer than 500" in warnings_of(result)["data[0].data.title"]
    shown = owner_api.customer(lan["customerId"])
    assert (shown["title"], shown["lastname"]) == ("CFO", "Nguyen")


# -- merging --------------------------------------------------------------------------


def test_given_scalars_replace_the_stored_ones(post, lan, owner_api):
    update(
        post,
        {
            "passport": "B1234",
            "lastname": "Nguyen",
            "title": "CEO",
            "gender": "0",
            "bgInfo": "customer since 2020",
            "dateOfBirth": "07/08/1991",
        },
    )
    shown = owner_api.customer(lan["customerId"])
    assert (shown["lastname"], shown["title"], shown["gender"], shown["bgInfo"]) == (
        "Nguyen",
        "CEO",
        0,
        "customer since 2020",
    )
    assert shown["dateOfBirth"] == "1991-08-07"


def test_empty_strings_and_nulls_never_blank_out_stored_data(post, lan, owner_api):
    before = owner_api.customer(lan["customerId"])
    result = update(
        post,
        {
            "passport": "B1234",
            "name": "",
            "lastname": "",
            "title": None,
            "gender": "",
            "bgInfo": "",
            "dateOfBirth": "",
            "contactId": "",
            "emails": [{"value": ""}],
            "phones": [],
            "addresses": "",
            "im": None,
            "websites": [],
            "tag": "",
            "permit": None,
            "cusFields": [],
            "companyContact": None,
        },
    )
    assert result["status"] == "updated"
    after = owner_api.customer(lan["customerId"])
    assert after["history"][0]["text"].endswith("nothing changed.")
    del before["history"], after["history"]
    assert after == before


def test_contact_points_are_added_where_not_already_present(post, lan, owner_api):
    update(
        post,
        {
            "passport": "B1234",
            "emails": [{"value": " LAN@example.com"}, {"type": "Home", "value": "lan@home.io"}],
            "phones": [{"value": "84-905-000-001"}, {"value": "0905 000 002"}],
            "addresses": [
                {"street": "1 main st", "city": "HUE", "country": {"code": "VN"}},
                {"street": "2 Side St", "city": "Hue"},
            ],
            "im": [{"protocol": "Skype", "value": "LAN.T"}, {"protocol": "Viber", "value": "1"}],
            "websites": [{"value": "LAN.example"}, {"value": "blog.example"}],
        },
    )
    shown = owner_api.customer(lan["customerId"])
    assert [e["value"] for e in shown["emails"]] == ["lan@example.com", "lan@home.io"]
    assert [p["e164"] for p in shown["phones"]] == ["+84905000001", "+84905000002"]
    assert [a["street"] for a in shown["addresses"]] == ["1 Main St", "2 Side St"]
    assert [i["value"] for i in shown["im"]] == ["lan.t", "1"]
    assert [w["value"] for w in shown["websites"]] == ["lan.example", "blog.example"]


def test_added_emails_and_phones_find_the_record_afterwards(post, lan):
    update(post, {"passport": "B1234", "emails": [{"value": "new@example.com"}]})
    again = post.action("add-contact", {"name": "X", "emails": [{"value": "new@example.com"}]})
    assert (again["status"], again["record"]) == ("duplicate", lan)


def test_a_replaced_passport_no_longer_finds_the_record(post, lan):
    update(post, {"customerId": lan["customerId"], "passport": "C9999"})
    assert update(post, {"passport": "B1234", "title": "X"})["status"] == "not_found"
    assert update(post, {"passport": "c 9999", "title": "X"})["record"] == lan


def test_tags_are_added_to_the_stored_ones(post, lan, owner_api):
    update(post, {"passport": "B1234", "tag": "VIP, gold"})
    assert owner_api.customer(lan["customerId"])["tags"] == ["vip", "gold"]


def test_custom_fields_given_are_set_and_others_kept(post, org, lan, owner_api):
    field_add(org=org, record_type="contact", name="Referred By", field_type="text")
    field_add(org=org, record_type="contact", name="Budget", field_type="number")
    update(
        post,
        {
            "passport": "B1234",
            "cusFields": [{"name": "Referred By", "value": "A"}, {"name": "Budget", "value": 5}],
        },
    )
    update(post, {"passport": "B1234", "cusFields": [{"name": "referred by", "value": "B"}]})
    fields = owner_api.customer(lan["customerId"])["customFields"]
    assert fields == {"Referred By": "B", "Budget": "5"}


def test_the_permit_is_replaced(post, org, lan, owner_api):
    user_add(org=org, email="mai@example.com")
    group_get_or_create(org, "Sales")
    code = lan["customerId"]
    update(post, {"passport": "B1234", "permit": {"status": "2"}})
    assert owner_api.customer(code)["permit"] == {"status": 2, "group": None, "users": []}
    update(post, {"passport": "B1234", "permit": {"status": 3, "group": "sales"}})
    assert owner_api.customer(code)["permit"] == {"status": 3, "group": "Sales", "users": []}
    update(post, {"passport": "B1234", "permit": {"status": 4, "users": ["Mai@example.com"]}})
    assert owner_api.customer(code)["permit"] == {
        "status": 4,
        "group": None,
        "users": ["mai@example.com"],
    }


def test_the_source_never_changes(post, lan, owner_api):
    result = update(post, {"passport": "B1234", "source": "Facebook"})
    assert "data[0].data.source" in warnings_of(result)
    assert owner_api.customer(lan["customerId"])["source"] == "Website"


def test_an_update_gives_no_default_tag(post, org, owner_api):
    code = add(post, {"name": "Lan", "passport": "P1", "tag": "own"})["customerId"]
    update(post, {"passport": "P1", "title": "X"})
    assert owner_api.customer(code)["tags"] == ["own"]


def test_the_history_line_says_what_changed_old_to_new(post, lan, owner_api):
    update(
        post,
        {
            "passport": "B1234",
            "title": "CEO",
            "emails": [{"value": "lan@home.io"}],
            "tag": "gold",
        },
    )
    line = owner_api.customer(lan["customerId"])["history"][0]["text"]
    assert "Web form" in line and SENDER in line
    assert "found by passport B1234" in line
    assert "title: “CFO” → “CEO”" in line
    assert "email added: lan@home.io" in line
    assert "tags added: gold" in line


# -- the company ----------------------------------------------------------------------


def test_company_contact_relinks_the_contact(post, owner_api):
    old = add(post, {"name": "Old Co", "type": 1})
    lan = add(post, {"name": "Lan", "passport": "P1", "companyContact": {"name": "Old Co"}})
    assert owner_api.customer(lan["customerId"])["company"]["customerId"] == old["customerId"]
    new = add(post, {"name": "New Co", "type": 1})
    result = update(post, {"passport": "P1", "companyContact": {"customerId": new["customerId"]}})
    assert result["related"] == [{**new, "status": "linked", "matchedOn": "customerId"}]
    shown = owner_api.customer(lan["customerId"])
    assert shown["company"] == {"customerId": new["customerId"], "name": "New Co"}
    lines = [line["text"] for line in shown["history"]]
    assert "company changed" in lines[0]
    by = f"listener “Web form” (sender {SENDER})"
    assert f"Now works for New Co ({new['customerId']}), set by {by}." in lines

    # Both companies tell the story: the new one who joined, the old one who left.
    def own_lines(code):  # an account's history also shows its contacts' lines
        return [h["text"] for h in owner_api.customer(code)["history"] if "customerId" not in h]

    assert own_lines(new["customerId"])[0] == (
        f"{lan['customerId']} Lan joined this company through {by}."
    )
    assert own_lines(old["customerId"])[0] == (
        f"{lan['customerId']} Lan left this company, moved to another one by {by}."
    )


def test_company_contact_creates_a_missing_company_on_update(post, lan, owner_api):
    result = update(post, {"passport": "B1234", "companyContact": {"name": "Fresh Co"}})
    (related,) = result["related"]
    assert (related["type"], related["status"]) == ("account", "created")
    company = owner_api.customer(related["customerId"])
    assert (company["name"], company["source"], company["tags"]) == (
        "Fresh Co",
        "Website",
        ["website"],
    )
    assert owner_api.customer(lan["customerId"])["company"]["name"] == "Fresh Co"


def test_company_contact_on_an_account_update_is_ignored_with_a_warning(post, owner_api):
    acme = add(post, {"name": "Acme", "type": 1, "passport": "A1"})
    result = update(post, {"type": 1, "passport": "A1", "companyContact": {"name": "Parent"}})
    assert result["status"] == "updated"
    assert "data[0].data.companyContact" in warnings_of(result)
    assert owner_api.customer(acme["customerId"])["company"] is None
    assert Customer.objects.count() == 1


def test_a_failed_update_leaves_no_company_behind(post, org):
    for n in range(2):
        add(post, {"name": "Lan", "emails": [{"value": f"lan{n}@example.com"}]})
    result = update(
        post,
        {"name": "Lan", "phones": [{"value": "0905000001"}], "companyContact": {"name": "Co"}},
    )
    assert result["status"] == "error"
    assert not Customer.objects.filter(kind="account").exists()
