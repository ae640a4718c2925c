"""Tenant-controlled work never runs under the write lock (issue 13, point 2): an
org's message templates are rendered by the worker, outside any transaction,
within a budget of time and output; a template that blows the budget is refused
when it is saved."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from crmdp.lib.issues import Invalid
from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.messaging.models import Message
from tests.conftest import Poster
from tests.messaging.conftest import run_worker

LOOPS = (
    "{% for a in name %}{% for b in name %}{% for c in name %}{{ c }}"
    "{% endfor %}{% endfor %}{% endfor %}"
)
COSTLY = {
    "nested loops over a name": LOOPS,
    "nested empty loops": LOOPS.replace("{{ c }}", ""),
    "a huge ljust": '{{ name|ljust:"100000000" }}',
    "a huge ljust where errors are swallowed": '{% if name|ljust:"99999999" == "x" %}y{% endif %}',
    "a name joined with itself": "{{ name|make_list|join:name }}",
    "lorem": "{% lorem 1000000 w %}",
    "nested lorem in loops": "{% for a in name %}{% lorem 100 p %}{% endfor %}",
}
UNREACHABLE = {
    "load": "{% load static %}{% static 'x' %}",
    "include": "{% include 'web/base.html' %}",
    "debug": "{% debug %}",
    "url": "{% url 'web:sms' %}",
}


def _email_listener(org, body: str) -> Listener:
    return listener_create(
        org=org,
        settings=ListenerSettings(
            name="Costly", email_enabled=True, email_subject="Hi", email_body=body
        ),
    )


@pytest.mark.parametrize(
    "body", [*COSTLY.values(), *UNREACHABLE.values()], ids=[*COSTLY, *UNREACHABLE]
)
def test_a_costly_or_reaching_template_is_refused_when_saved_within_a_second_of_work(org, body):
    started = time.thread_time()  # the work done, whatever else the machine is doing
    with pytest.raises(Invalid) as refused:
        _email_listener(org, body)
    assert time.thread_time() - started < 1
    assert refused.value.field == "email_body"
    assert not Listener.objects.filter(name="Costly").exists()


def test_the_refusal_names_the_budget_it_blows(org):
    with pytest.raises(
        Invalid,
        match="too costly: with the longest values a customer may have, it writes more "
        "than 20000 characters",
    ):
        _email_listener(org, '{{ name|ljust:"100000000" }}')
    with pytest.raises(Invalid, match=r"takes longer than 0\.25 s to render|writes more than"):
        _email_listener(org, LOOPS)


def test_ordinary_templates_are_accepted(org):
    listener = _email_listener(
        org,
        "Dear {{ title|default:'friend' }} {{ name|upper }},"
        "{% if phone %} we have {{ phone }}.{% endif %}",
    )
    assert listener.email_body.startswith("Dear")


def test_the_request_only_queues_and_a_costly_stored_template_fails_once_at_the_worker(
    org, smtp, fast_retries
):
    # A template stored before templates had a budget: no request runs it (the old
    # code rendered it inside the request, minutes of work under the write lock),
    # and the worker gives up on it at once, with the reason.
    listener = _email_listener(org, "Hello {{ name }}")
    Listener.objects.filter(id=listener.id).update(email_body=LOOPS)
    listener.refresh_from_db()
    post = Poster(Client(), listener)
    post.action("add-contact", {"name": "Warm-up"})  # no email: nothing queued
    started = time.monotonic()
    result = post.action("add-contact", {"name": "x" * 400, "emails": [{"value": "x@example.com"}]})
    assert result["status"] == "created"
    assert time.monotonic() - started < 5
    message = Message.objects.get()
    assert (message.body, message.template["body"]) == ("", LOOPS)

    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("the template cannot be rendered: it ")
    assert smtp.messages == []


def test_the_worker_renders_and_keeps_what_it_sent(org, smtp):
    listener = _email_listener(org, "Hello {{ name }} of {{ org }}")
    Poster(Client(), listener).action(
        "add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]}
    )
    queued = Message.objects.get()
    assert (queued.subject, queued.body) == ("", "")
    run_worker()
    sent = Message.objects.get()
    assert (sent.status, sent.subject, sent.body, sent.template) == (
        "sent",
        "Hi",
        "Hello Lan of Test Org",
        {},
    )
    assert smtp.messages[0].get_payload().strip() == "Hello Lan of Test Org"
