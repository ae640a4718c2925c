"""No SSRF through an SMS gateway URL (issue 13, point 3): only http(s) to public
addresses, checked when the URL is saved and again at every send after resolving
the name; the request goes to the address checked; no redirects; the gateway's
words never reach a status or the history."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.lib.issues import Invalid
from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set
from crmdp.orgs.models import Org
from tests.conftest import PUBLIC_ADDRESS, Poster
from tests.messaging.conftest import run_worker
from tests.messaging.servers import sms_gateway


@pytest.fixture
def post_welcome(welcome):
    return Poster(Client(), welcome)


@pytest.fixture
def public_only(settings):
    """The production default: org-chosen URLs reach public addresses only."""
    settings.CRMDP_OUTBOUND_ALLOW_PRIVATE = False


CONTACT = {"name": "Huy", "phones": [{"value": "0905000001"}]}

REFUSED_URLS = {
    "loopback": "http://127.0.0.1:8000/admin",
    "localhost by name": "http://localhost/sms",
    "loopback IPv6": "http://[::1]/sms",
    "IPv4 mapped into IPv6": "http://[::ffff:127.0.0.1]/sms",
    "private range": "http://10.0.0.5/sms",
    "private range 192.168": "https://192.168.1.1/sms",
    "unspecified": "http://0.0.0.0:8000/",
    "cloud metadata": "http://169.254.169.254/latest/meta-data/",
    "AWS metadata over IPv6": "http://[fd00:ec2::254]/latest/meta-data/",
    "a name resolving to a private address": "https://gw.internal.example.com/sms",
    "a name resolving to a public and a private address": "https://mixed.example.com/sms",
    "a name that does not resolve": "https://nowhere.invalid/sms",
    "not http": "ftp://sms.example.com/send",
    "a file": "file:///etc/passwd",
    "credentials in the URL": "https://user:secret@sms.example.com/send",
}


@pytest.mark.parametrize("url", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
def test_a_gateway_url_that_reaches_no_public_address_is_refused_when_saved(
    org, dns, public_only, url
):
    dns["gw.internal.example.com"] = ["10.20.30.40"]
    dns["mixed.example.com"] = [PUBLIC_ADDRESS, "192.168.0.10"]
    with pytest.raises(Invalid) as refused:
        sms_set(org, provider="http", url=url)
    assert refused.value.field == "url"
    org.refresh_from_db()
    assert (org.sms_provider, org.sms_url) == ("", "")


def test_a_public_gateway_url_is_accepted(org, public_only):
    sms_set(org, provider="http", url="https://sms.example.com/send")
    org.refresh_from_db()
    assert org.sms_url == "https://sms.example.com/send"


def test_metadata_and_link_local_stay_refused_with_private_addresses_allowed(org, dns):
    dns["metadata.google.internal"] = ["169.254.169.254"]
    for url in ("http://169.254.169.254/", "http://metadata.google.internal/", "http://[fe80::1]/"):
        with pytest.raises(Invalid, match="link-local or cloud metadata"):
            sms_set(org, provider="http", url=url)


def test_a_name_that_resolves_to_loopback_at_send_time_is_not_sent_to(
    org, dns, post_welcome, public_only
):
    # DNS rebinding: public when saved, loopback when sent. The gateway listening
    # on loopback never hears a thing.
    with sms_gateway(200) as gateway:
        dns["gw.example.com"] = [PUBLIC_ADDRESS]
        sms_set(org, provider="http", url=f"http://gw.example.com:{gateway.port}/sms")
        dns["gw.example.com"] = ["127.0.0.1"]
        post_welcome.action("add-contact", CONTACT)
        run_worker()
    assert gateway.requests == []
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 1)
    assert sms.last_error == (
        "gateway address refused: gw.example.com: 127.0.0.1 is a loopback address "
        "(see CRMDP_OUTBOUND_ALLOW_PRIVATE)"
    )


def test_the_request_goes_to_the_resolved_address_and_names_the_host(org, dns, post_welcome):
    with sms_gateway(200) as gateway:
        dns["gw.example.com"] = ["127.0.0.1"]
        sms_set(org, provider="http", url=f"http://gw.example.com:{gateway.port}/sms")
        post_welcome.action("add-contact", CONTACT)
        run_worker()
    assert len(gateway.accepted) == 1
    assert gateway.requests[0]["headers"]["Host"] == f"gw.example.com:{gateway.port}"
    assert Message.objects.get(channel="sms").status == "sent"


def test_a_redirect_is_not_followed(org: Org, post_welcome):
    with sms_gateway(200) as elsewhere, sms_gateway(302, location=elsewhere.url) as gateway:
        sms_set(org, provider="http", url=gateway.url)
        post_welcome.action("add-contact", CONTACT)
        run_worker()
    assert len(gateway.requests) == 1 and elsewhere.requests == []
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.last_error) == (
        "failed",
        "gateway answered 302; redirects are not followed",
    )


def test_the_gateways_answer_is_never_kept(org, post_welcome, owner_api):
    with sms_gateway(400) as gateway:
        sms_set(org, provider="http", url=gateway.url)
        code = post_welcome.action("add-contact", CONTACT)["record"]["customerId"]
        run_worker()
    assert gateway.requests
    sms = Message.objects.get(channel="sms")
    assert sms.last_error == "gateway answered 400"  # not the gateway's {"error": "no"}
    history = owner_api.get(f"/api/v1/customers/{code}").json["history"]
    assert not any('"error"' in line["text"] for line in history)
