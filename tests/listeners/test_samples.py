"""The vendor guide's sample requests produce what SPEC says they do."""

from crmdp.api.schemas import ListenerResponse
from crmdp.orgs.services import field_add, group_get_or_create
from tests.conftest import sample


def send(post, name):
    response = post(sample(name))
    assert response.status == 200, response
    ListenerResponse.model_validate(response.json)
    (result,) = response.json["results"]
    return result


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


# The guide's sample phone, 01234567890, belongs to Vietnam's retired 11-digit mobile
# plan: kept as given, marked invalid, with a warning (SPEC §4).
PHONE_WARNING = "data[0].data.phones[0].value"


def test_add_contact_sample_creates_the_contact(post, owner_api):
    result = send(post, "add-contact")
    assert result["status"] == "created"
    assert list(warnings_of(result)) == [PHONE_WARNING]
    assert "not a valid phone number in region VN" in warnings_of(result)[PHONE_WARNING]
    assert result["record"]["customerId"].startswith("PID-")
    shown = owner_api.customer(result["record"]["customerId"])
    assert (shown["name"], shown["lastname"], shown["passport"]) == ("Huy", "Nguyen", "1945295865")
    assert shown["phones"] == [{"type": "Other", "value": "01234567890", "e164": None}]
    assert shown["dateOfBirth"] == "1993-01-01"
    assert shown["emails"] == [{"type": "Other", "value": "huy.nguyen@htklabs.com"}]
    (address,) = shown["addresses"]
    assert address["country"]["code"] == "VN"
    assert (address["street"], address["city"], address["zip"]) == (
        "58 Ton That Dam",
        "Da Nang",
        "5100000",
    )
    assert shown["websites"] == [{"value": "htk-inc.com"}]
    assert (shown["source"], shown["tags"]) == ("Website", ["website"])


def test_add_contact_sample_lower_cases_its_email(post, owner_api):
    body = sample("add-contact")
    body["data"][0]["data"]["emails"] = [{"value": "Huy.Nguyen@HTKLabs.com"}]
    code = post(body).json["results"][0]["record"]["customerId"]
    assert owner_api.customer(code)["emails"][0]["value"] == "huy.nguyen@htklabs.com"


def test_add_contact_sample_twice_is_a_duplicate_matched_on_passport(post, owner_api):
    first = send(post, "add-contact")
    again = send(post, "add-contact")
    assert again["status"] == "duplicate"
    assert again["matchedOn"] == "passport"
    assert again["record"] == first["record"]
    history = owner_api.customer(first["record"]["customerId"])["history"]
    assert len(history) == 2
    assert "matched on passport 1945295865" in history[0]["text"]


def test_add_lead_sample_creates_the_lead_with_its_custom_field(post, org, owner_api):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    result = send(post, "add-lead")
    assert result["status"] == "created"
    assert list(warnings_of(result)) == [PHONE_WARNING]
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["customerId"].startswith("LID-")
    assert shown["companyLead"] == "GOOGLE"
    assert shown["tags"] == ["webhook"]  # its own tag, not the listener's default
    assert shown["contactId"] == "1234567897"
    assert shown["customFields"] == {"Referred By": "Cong Nguyen"}
    assert shown["source"] == "Website lead"


def test_add_lead_sample_warns_about_a_custom_field_the_org_lacks(post, owner_api):
    result = send(post, "add-lead")
    assert result["status"] == "created"
    assert "Referred By" in warnings_of(result)["data[0].data.cusFields[0].name"]
    assert owner_api.customer(result["record"]["customerId"])["customFields"] == {}


def test_update_contact_sample_updates_the_contact_found_by_passport(post, org, owner_api):
    group_get_or_create(org, "Nhom test")
    field_add(org=org, record_type="contact", name="Referred By", field_type="text")
    contact = send(post, "add-contact")["record"]
    result = send(post, "update-contact")
    assert result["status"] == "updated"
    assert result["matchedOn"] == "passport"  # PID-678 does not exist
    assert result["record"] == contact
    # The sample's phones are the retired plan's; the company's too.
    assert list(warnings_of(result)) == [
        PHONE_WARNING,
        "data[0].data.companyContact.phones[0].value",
    ]
    (company,) = result["related"]
    assert (company["type"], company["status"]) == ("account", "created")
    shown = owner_api.customer(contact["customerId"])
    assert shown["lastname"] == "Nguyen Viet"
    assert shown["dateOfBirth"] == "1993-01-02"
    assert shown["permit"] == {"status": 3, "group": "Nhom test", "users": []}
    assert shown["company"] == {"customerId": company["customerId"], "name": "GOOGLE"}
    assert shown["tags"] == ["website", "webhook"]
    assert shown["customFields"] == {"Referred By": "Cong Nguyen"}
    assert len(shown["emails"]) == len(shown["phones"]) == len(shown["addresses"]) == 1
    account = owner_api.customer(company["customerId"])
    assert account["type"] == "account"
    assert account["emails"] == [{"type": "Other", "value": "dong.nguyen@htklabs.com"}]


def test_update_contact_sample_warns_when_the_group_does_not_exist(post, owner_api):
    contact = send(post, "add-contact")["record"]
    result = send(post, "update-contact")
    assert result["status"] == "updated"
    assert "Nhom test" in warnings_of(result)["data[0].data.permit.group"]
    assert owner_api.customer(contact["customerId"])["permit"]["status"] == 3


def test_update_contact_sample_alone_finds_nothing(post):
    result = send(post, "update-contact")
    assert result["status"] == "not_found"
    assert result["related"] == []


def test_update_lead_sample_updates_the_added_lead(post, org, owner_api):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    lead = send(post, "add-lead")["record"]
    result = send(post, "update-lead")
    assert result["status"] == "updated"
    assert result["record"] == lead
    assert result["matchedOn"] == "contactId"  # LID-123 does not exist
    shown = owner_api.customer(lead["customerId"])
    assert shown["lastname"] == "Nguyen Viet"
    assert shown["bgInfo"] == "Thành viên của AntBuddy"
    assert shown["dateOfBirth"] == "1993-01-02"
    assert shown["permit"]["status"] == 2
    assert shown["companyLead"] == "GOOGLE"
    assert shown["tags"] == ["webhook"]


def test_update_lead_sample_does_not_touch_the_contact_with_the_same_passport(post, owner_api):
    contact = send(post, "add-contact")["record"]
    send(post, "add-lead")
    send(post, "update-lead")
    assert owner_api.customer(contact["customerId"])["lastname"] == "Nguyen"
