"""The org's outbox for those who run it: every email and SMS, newest first, by
status and channel, and one message with each attempt at sending it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from crmdp.messaging.models import Message, MessageStatus
from crmdp.messaging.selectors import outbox, visible_message
from crmdp.messaging.transports import delivers, email_provider
from crmdp.orgs.models import Membership, Org
from crmdp.web.access import manager_view
from crmdp.web.forms import MessageFilters
from crmdp.web.layout import page
from crmdp.web.pages.related import (
    MESSAGE_COLUMNS,
    channel_name,
    customer_link,
    message_badge,
    message_url,
    scoped_customer,
    status_badge,
)
from crmdp.web.records import Fact, Link, RecordList, fact, list_page, when

MESSAGES = RecordList(
    section="messages",
    title="Messages",
    noun="messages",
    columns=MESSAGE_COLUMNS,
    detail_url=message_url,
    tab_param="status",
    tabs=(
        ("", "All"),
        (MessageStatus.QUEUED.value, "Queued"),
        (MessageStatus.SENT.value, "Sent"),
        (MessageStatus.FAILED.value, "Failed"),
    ),
    empty_hint="Welcome emails and SMS to new customers, and send-sms requests, are "
    "queued here and sent by the worker.",
    search_hint="Try another status or channel.",
)


# Where a provider that delivers nowhere keeps what it takes, in the UI's words.
KEPT_WHERE = {
    "file": "kept as files in the server's data directory (sent-mail/)",
    "console": "printed on the server's console",
    "memory": "kept in the server's memory",
    "dummy": "dropped",
    "log": "written to the server's SMS log (sms.log in its data directory)",
}


def sending_notices(org: Org) -> list[str]:
    """What the outbox must say about where messages really go (issue 17): email or
    SMS that reach no one, and the trial SMS left."""
    notices = []
    email = email_provider()
    if not delivers(email):
        notices.append(
            f"Email is not being sent: no SMTP server is set up, so emails are "
            f"{KEPT_WHERE[email]} and show as “kept, not sent”. The server's operator "
            f"sets one (EMAIL_HOST)."
        )
    if org.sms_provider:
        if not delivers(org.sms_provider):
            notices.append(
                f"SMS are not being sent: the SMS provider is “Log”, so they are "
                f"{KEPT_WHERE[org.sms_provider]}. Choose an HTTP gateway in Settings → SMS."
            )
    else:
        trial = settings.CRMDP_TRIAL_SMS_PROVIDER
        kept = (
            f" They are {KEPT_WHERE.get(trial, 'not delivered')}, not sent: this server has "
            f"no trial SMS gateway."
            if not delivers(trial)
            else ""
        )
        notices.append(
            f"Trial SMS left: {org.sms_trial_remaining}. This org has no SMS provider, so "
            f"SMS are paid from the trial allowance.{kept} Choose a provider in Settings → SMS."
        )
    return notices


@manager_view
def message_list_page(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    filters = MessageFilters(request.GET)
    filters.is_valid()  # an unknown status or channel is dropped, not an error page
    given = filters.cleaned_data
    customer = scoped_customer(membership, given.get("customer"))
    records = outbox(
        membership,
        status=given.get("status") or None,
        channel=given.get("channel") or None,
        customer=customer,
    )
    if given.get("customer") and customer is None:
        records = records.none()
    scope = customer_link(customer) if customer else None
    return list_page(
        request,
        membership,
        MESSAGES,
        records,
        filters,
        scope=scope,
        notices=sending_notices(membership.org),
    )


def message_facts(message: Message) -> list[Fact]:
    delivery = (
        Link(
            "the delivery that queued it",
            reverse("web:delivery-by-request", args=[message.listener.id, message.request_id]),
        )
        if message.listener and message.request_id
        else None
    )
    return [
        fact("Channel", channel_name(message)),
        fact("To", message.to),
        fact("Customer", customer_link(message.customer) if message.customer else None),
        fact("Subject", message.subject),
        # A queued welcome message is rendered by the worker when it is sent.
        fact(
            "Text",
            message.body or ("(written when it is sent)" if message.template else ""),
            style="pre",
        ),
        fact("Why", "welcome to a new customer" if message.reason == "welcome" else "send-sms"),
        fact("Status", message_badge(message)),
        fact("Attempts", str(message.attempts)),
        fact("Last error", message.last_error),
        fact("Queued", when(message.created_at)),
        fact("Next attempt", when(message.next_attempt_at) if message.status == "queued" else ""),
        fact("Sent", when(message.sent_at)),
        fact(
            "Provider",
            f"{message.provider} ({KEPT_WHERE.get(message.provider, 'kept')}, not sent)"
            if message.provider and not delivers(message.provider)
            else message.provider,
        ),
        fact("Provider's message ID", message.provider_message_id),
        fact("Paid from", "the org's SMS trial allowance" if message.uses_trial else ""),
        fact("Queued by", f"listener “{message.listener.name}”" if message.listener else ""),
        fact("Request", delivery),
    ]


@manager_view
def message_detail(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    back = Link("Messages", reverse("web:messages"))
    message = visible_message(membership, message_id)
    if message is None:
        return page(
            request,
            membership,
            "web/not_found.html",
            {"what": "message", "back": back},
            status=404,
            section="messages",
        )
    attempts = [
        {
            "number": attempt.number,
            "started": when(attempt.started_at),
            "took": f"{(attempt.finished_at - attempt.started_at).total_seconds():.1f} s",
            "outcome": message_badge(message)
            if attempt.outcome == MessageStatus.SENT
            else status_badge(attempt.outcome),
            "error": attempt.error,
            "worker": attempt.worker,
        }
        for attempt in message.attempt_log.all()
    ]
    return page(
        request,
        membership,
        "web/messages/detail.html",
        {
            "message": message,
            "back": back,
            "status": message_badge(message),
            "facts": message_facts(message),
            "attempts": attempts,
        },
        section="messages",
    )
