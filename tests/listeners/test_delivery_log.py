"""The delivery log (SPEC §3): every request that reaches an enabled listener is
kept, accepted or refused, with what was answered."""

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.lib.netaddr import parse_networks
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import ListenerSettings, listener_create, listener_set_enabled
from tests.conftest import SAMPLES, SENDER, Poster, sample


def only_delivery():
    (delivery,) = Delivery.objects.all()
    return delivery


def test_an_accepted_request_is_kept_with_its_body_response_and_outcomes(post, listener):
    body = json.dumps(sample("add-contact")).encode()
    response = post.raw(body, REMOTE_ADDR="198.51.100.4")
    assert response.status == 200
    delivery = only_delivery()
    assert delivery.listener == listener
    assert bytes(delivery.body) == body
    assert delivery.status == 200
    assert delivery.response == response.json
    assert str(delivery.request_id) == response.json["requestId"]
    assert delivery.source_ip == "198.51.100.4"
    assert delivery.sender == SENDER
    assert delivery.outcomes == {"created": 1}
    assert delivery.duration_ms > 0
    assert delivery.received_at is not None


def test_the_time_kept_is_when_the_request_arrived(post, owner_api):
    before = timezone.now()
    result = post.action("add-contact", {"name": "Lan"})
    after = timezone.now()
    delivery = only_delivery()
    created_at = Customer.objects.get(id=result["record"]["id"]).created_at
    assert before <= delivery.received_at <= created_at <= after
    assert delivery.received_at + timedelta(milliseconds=delivery.duration_ms) <= after


def test_per_action_outcomes_are_counted(post):
    post.actions(
        ("add-contact", {"name": "A", "passport": "P1"}),
        ("add-contact", {"name": "A", "passport": "P1"}),
        ("update-contact", {"passport": "NOPE"}),
        ("add-banana", {}),
    )
    assert only_delivery().outcomes == {"created": 1, "duplicate": 1, "not_found": 1, "error": 1}


def test_an_invalid_body_is_kept_raw_with_its_400(post):
    body = (SAMPLES / "broken-update-lead-from-guide.json").read_bytes()
    response = post.raw(body)
    assert response.status == 400
    delivery = only_delivery()
    assert (delivery.status, bytes(delivery.body)) == (400, body)
    assert delivery.response == response.json
    assert delivery.outcomes == {}


def test_bytes_that_are_not_utf8_are_kept_as_they_arrived(post):
    body = b'{"senderUser": "\xff\xfe"}'
    assert post.raw(body).status == 400
    assert bytes(only_delivery().body) == body


def test_an_unknown_sender_is_kept_with_its_403(post):
    body = sample("add-contact")
    body["senderUser"] = "stranger@example.com"
    response = post(body)
    assert response.status == 403
    delivery = only_delivery()
    assert (delivery.status, delivery.sender) == (403, "stranger@example.com")
    assert json.loads(bytes(delivery.body)) == body
    assert delivery.response == response.json


def test_a_refused_address_is_kept_with_its_403_and_address(org):
    listener = listener_create(
        org=org, settings=ListenerSettings(name="Guarded", allowed_ips=["10.0.0.0/8"])
    )
    response = Poster(Client(), listener)(sample("add-contact"), REMOTE_ADDR="198.51.100.7")
    assert response.status == 403
    delivery = only_delivery()
    assert (delivery.status, delivery.source_ip) == (403, "198.51.100.7")
    assert delivery.response == response.json
    # Kept, so that once the address is allowed the request can be replayed.
    assert json.loads(bytes(delivery.body)) == sample("add-contact")


def test_a_refused_address_is_refused_even_with_a_body_over_the_limit(org, settings):
    settings.CRMDP_MAX_BODY_BYTES = 100
    listener = listener_create(
        org=org, settings=ListenerSettings(name="Guarded", allowed_ips=["10.0.0.0/8"])
    )
    response = Poster(Client(), listener)(sample("add-contact"), REMOTE_ADDR="198.51.100.7")
    assert (response.status, response.json["error"]["code"]) == (403, "ip_not_allowed")
    assert (only_delivery().status, bytes(only_delivery().body)) == (403, b"")


def test_the_client_address_behind_a_trusted_proxy_is_logged(post, settings):
    settings.TRUSTED_PROXIES = parse_networks(["192.0.2.1"])
    post(sample("add-contact"), REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert only_delivery().source_ip == "203.0.113.9"


def test_oversized_requests_are_kept_with_their_413(post, settings):
    settings.CRMDP_MAX_BODY_BYTES = 100
    assert post(sample("add-contact")).status == 413
    delivery = only_delivery()
    assert delivery.status == 413
    assert delivery.body_size > 100
    settings.CRMDP_MAX_BODY_BYTES = 1 << 20
    settings.CRMDP_MAX_ACTIONS = 1
    body = {"senderUser": SENDER, "data": [{"actionType": "x"}, {"actionType": "y"}]}
    assert post(body).status == 413
    latest = Delivery.objects.latest("id")
    assert latest.status == 413
    assert json.loads(bytes(latest.body)) == body


def test_unknown_and_disabled_listeners_keep_nothing(post, listener):
    Client().post("/listener/no-such-token", "{}", content_type="application/json")
    listener_set_enabled(listener=listener, enabled=False)
    post(sample("add-contact"))
    assert not Delivery.objects.exists()


def test_each_request_is_one_entry(post):
    for _ in range(3):
        post(sample("add-contact"))
    outcomes = list(Delivery.objects.order_by("id").values_list("outcomes", flat=True))
    assert outcomes == [{"created": 1}, {"duplicate": 1}, {"duplicate": 1}]
