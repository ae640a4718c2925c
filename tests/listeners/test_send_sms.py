"""send-sms (SPEC §5): one queued message per distinct number, through the org's
provider or off its trial allowance; past the allowance, an error and nothing queued.
(Sending the queued rows is the worker's business, tested with the worker.)"""

from __future__ import annotations

from crmdp.messaging.models import Channel, Message, MessageStatus
from crmdp.messaging.services import sms_set
from crmdp.orgs.models import Org
from tests.api import reading
from tests.conftest import SENDER, sample
from tests.listeners.setups import fields_of, welcoming_poster


def sms(*phones: str, content: str = "Your order has shipped") -> dict:
    return {"content": content, "phones": list(phones)}


def allowance(org: Org) -> int:
    return Org.objects.get(id=org.id).sms_trial_remaining


def numbers(result: dict) -> list[str]:
    ids = result["messageIds"]
    return [Message.objects.get(id=i).to for i in ids]


def test_guide_sample_queues_one_message_per_number(post, org, owner_api):
    [result] = post(sample("send-sms")).json["results"]

    assert result["status"] == "queued", result
    # 098765431 has the length of a Vietnamese number but is in no range: not sent.
    assert result["errors"] == []
    assert fields_of(result["warnings"]) == ["data[0].data.phones[1]"]
    assert "not a valid phone number" in result["warnings"][0]["message"]
    assert len(result["messageIds"]) == 1
    assert result["related"] == [
        {"type": "message", "id": i, "status": "queued"} for i in result["messageIds"]
    ]
    listed = {m.id: m for m in reading.messages(owner_api).results}
    queued = [listed[i] for i in result["messageIds"]]
    assert [m.to for m in queued] == ["+84333456789"]
    assert {(m.channel, m.body, m.status, m.reason, m.attempts) for m in queued} == {
        ("sms", "This is content", "queued", "send-sms", 0)
    }
    assert allowance(org) == 9  # the trial allowance of 10, less one per message


def test_the_same_number_written_two_ways_gets_one_message(post):
    result = post.action("send-sms", sms("0905 000 001", "+84905000001", "84-905-000-001"))

    assert result["status"] == "queued"
    assert numbers(result) == ["+84905000001"]
    assert Message.objects.count() == 1


def test_an_unreadable_number_is_skipped_with_a_warning_naming_it(post):
    result = post.action("send-sms", sms("0905 000 001", "call me maybe", "12"))

    assert result["status"] == "queued"
    assert fields_of(result["warnings"]) == ["data[0].data.phones[1]", "data[0].data.phones[2]"]
    assert numbers(result) == ["+84905000001"]


def test_no_readable_number_is_an_error(post, org):
    result = post.action("send-sms", sms("nope", "12"))

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.phones"]
    assert fields_of(result["warnings"]) == ["data[0].data.phones[0]", "data[0].data.phones[1]"]
    assert not Message.objects.exists()
    assert allowance(org) == 10


def test_content_is_required(post):
    result = post.action("send-sms", {"content": " ", "phones": ["0905000001"]})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.content"]


def test_phones_or_a_customer_id_are_required(post):
    result = post.action("send-sms", {"content": "Hi", "phones": []})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.phones"]
    assert "or a customerId" in result["errors"][0]["message"]


def test_a_single_number_may_be_sent_as_a_string(post):
    result = post.action("send-sms", {"content": "Hi", "phones": "0905000001"})

    assert numbers(result) == ["+84905000001"]


def test_numbers_are_read_in_the_orgs_phone_region(post, org):
    org.phone_region = "US"
    org.save()

    result = post.action("send-sms", sms("(201) 555-0123"))

    assert numbers(result) == ["+12015550123"]


# -- the trial allowance and the provider ------------------------------------------------


def test_the_trial_allowance_is_taken_per_message_and_then_refused(post, org):
    sms_set(org, provider=None, url=None, trial=3)

    first = post.action("send-sms", sms("0905000001", "0905000002"))
    too_many = post.action("send-sms", sms("0905000003", "0905000004"))
    last = post.action("send-sms", sms("0905000005"))
    refused = post.action("send-sms", sms("0905000006"))

    assert (first["status"], last["status"]) == ("queued", "queued")
    for result in (too_many, refused):
        assert result["status"] == "error"
        [error] = result["errors"]
        assert error["field"] == "data[0].data.phones"
        assert error["message"].startswith("SMS is not set up")
        assert "messageIds" not in result
    assert sorted(Message.objects.values_list("to", flat=True)) == [
        "+84905000001",
        "+84905000002",
        "+84905000005",
    ]
    assert allowance(org) == 0
    assert Message.objects.filter(uses_trial=True).count() == 3


def test_a_refused_send_sms_does_not_stop_the_other_actions(post, org):
    sms_set(org, provider=None, url=None, trial=0)

    refused, contact = post.actions(
        ("send-sms", sms("0905000001")), ("add-contact", {"name": "Still created"})
    )

    assert refused["status"] == "error"
    assert contact["status"] == "created"
    assert not Message.objects.exists()


def test_an_org_with_its_own_provider_has_no_limit(post, org):
    sms_set(org, provider="log", url=None, trial=0)
    phones = [f"0905 000 {n:03}" for n in range(15)]

    result = post.action("send-sms", sms(*phones))

    assert result["status"] == "queued"
    assert len(result["messageIds"]) == 15
    assert not Message.objects.filter(uses_trial=True).exists()
    assert allowance(org) == 0


def test_an_org_with_an_http_gateway_has_no_limit_either(post, org):
    sms_set(org, provider="http", url="https://sms.example.com/send", trial=1)

    result = post.action("send-sms", sms("0905000001", "0905000002"))

    assert result["status"] == "queued"
    assert allowance(org) == 1


def test_welcome_sms_come_off_the_same_allowance(org):
    post = welcoming_poster(org)
    sms_set(org, provider=None, url=None, trial=1)

    first, second = post.actions(
        ("add-contact", {"name": "A", "phones": [{"value": "0905000001"}]}),
        ("add-contact", {"name": "B", "phones": [{"value": "0905000002"}]}),
    )
    refused = post.action("send-sms", sms("0905000003"))

    assert first["warnings"] == []
    # The customer is still created; only its auto SMS is left out, with a warning.
    assert second["status"] == "created"
    assert fields_of(second["warnings"]) == ["data[1].data.phones"]
    assert "SMS is not set up" in second["warnings"][0]["message"]
    assert refused["status"] == "error"
    sent = Message.objects.filter(channel=Channel.SMS)
    assert list(sent.values_list("to", "reason")) == [("+84905000001", "welcome")]


# -- whose timeline ---------------------------------------------------------------------


def test_a_message_to_a_customers_number_shows_on_that_customer(post, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "phones": [{"value": "0905 000 001"}]})

    result = post.action("send-sms", sms("+84905000001", "0905000002"))

    code = contact["record"]["customerId"]
    [message] = reading.messages(owner_api, code).results
    assert message.id == result["messageIds"][0]
    assert message.customer is not None and message.customer.customer_id == code
    assert message.status == MessageStatus.QUEUED
    history = [h.text for h in reading.customer(owner_api, code).history]
    assert history[0] == (f"SMS to +84905000001 queued by listener “Web form” (sender {SENDER}).")
