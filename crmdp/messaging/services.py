"""Queuing messages (SPEC §6): rows in the outbox, written in the caller's
transaction. Nothing here sends anything; the worker does (crmdp.messaging.worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import F
from django.utils import timezone

from crmdp.backends import rows
from crmdp.customers.keys import phone_key
from crmdp.customers.models import Customer, Kind
from crmdp.customers.writing import Batch, writing
from crmdp.history.services import Origin
from crmdp.lib import outbound, templating
from crmdp.lib.issues import Invalid, Warnings, fail, join_path
from crmdp.lib.values import Phone
from crmdp.messaging.models import Channel, Message
from crmdp.messaging.transports import SMS_TRANSPORTS
from crmdp.orgs.models import Org


def template_context(customer: Customer, org: Org) -> dict[str, str]:
    """What a listener's message templates see (SPEC §2)."""
    email = next((e["value"] for e in customer.emails if e.get("normalized")), "")
    phone = next((p.get("e164") or p["value"] for p in customer.phones if p.get("e164")), "")
    return {
        "name": customer.name,
        "lastname": customer.lastname,
        "title": customer.title,
        "customerId": customer.code,
        "email": email,
        "phone": phone,
        "org": org.name,
    }


def welcome_new_customers(
    *,
    origin: Origin,
    customers: Sequence[tuple[Customer, str]],
    warnings: Warnings,
    listener: Any = None,
    outbox: list[Message] | None = None,
) -> list[Message]:
    """The welcome email and SMS of a listener (SPEC §2) for customers just created
    (each with where its data was, for a warning's path): an email to each with a
    (valid) email, an SMS to each with a readable phone when the org can send SMS.

    `listener`: whose welcome (a crmdp.listeners.models.Listener; default the
    origin's). Welcome messages are a listener's settings: with none, nothing is
    queued. The listener calls this after each action with the customers the
    action created; the UI with the listener a member chose.

    Only the templates and their values are queued: the worker renders them (an
    org's template never runs inside a request). The rows go into `outbox` (a
    listener request's, inserted with its other rows), else are inserted now, in
    the caller's transaction: a committed customer always gets its messages, a
    rolled-back one never does (SPEC §6)."""
    listener = listener if listener is not None else origin.listener
    if listener is None or not (listener.email_enabled or listener.sms_enabled):
        return []
    queued: list[Message] = []
    for customer, path in customers:
        queued += _welcome(origin, listener, customer, path, warnings)
    if outbox is not None:
        outbox.extend(queued)
    else:
        rows.insert(queued)
    return queued


def _welcome(
    origin: Origin, listener: Any, customer: Customer, path: str, warnings: Warnings
) -> list[Message]:
    org = origin.org
    context = template_context(customer, org)
    queued: list[Message] = []

    def welcome(channel: str, to: str, template: dict[str, Any], **more: Any) -> Message:
        return rows.build(
            Message,
            org=org,
            customer=customer,
            channel=channel,
            to=to,
            body="",
            template={**template, "values": context},
            reason="welcome",
            listener=listener,
            request_id=origin.request_id,
            **more,
        )

    if listener.email_enabled and context["email"]:
        queued.append(
            welcome(
                Channel.EMAIL,
                context["email"],
                {"subject": listener.email_subject, "body": listener.email_body},
            )
        )
    if listener.sms_enabled and context["phone"]:
        trial = sms_allowance_take(org, 1)
        if trial is None:
            warnings.warn(
                join_path(path, "phones"),
                f"the welcome SMS was not queued: {sms_refusal(org, 1)}",
            )
        else:
            queued.append(
                welcome(
                    Channel.SMS, context["phone"], {"body": listener.sms_text}, uses_trial=trial
                )
            )
    return queued


def render_message(message: Message) -> None:
    """Fill in a queued welcome message's subject and body from its templates
    (the worker, before sending). TemplateProblem when they cannot be rendered
    within the budget: such a message never can be, and fails."""
    template = message.template
    if not template:
        return
    values = template.get("values", {})
    if "subject" in template:
        message.subject = templating.one_line(templating.render(template["subject"], values))
    body = templating.render(template.get("body", ""), values)
    message.body = body if message.channel == Channel.EMAIL else body.strip()


def sms_queue(
    *,
    origin: Origin,
    content: str,
    phones: Sequence[Phone],
    path: str = "phones",
    named: dict[str, int] | None = None,
    batch: Batch | None = None,
) -> list[Message]:
    """send-sms (and an SMS written by hand): one message per distinct number
    (compared in E.164), each a history line on the customer with that number.
    `named` maps the numbers of the customer the action named by customerId to
    that customer. When the org cannot send that many, ActionFailed naming `path`."""
    with writing(origin, batch) as b:
        return _sms_queue(origin, b, content, phones, path, named)


def _sms_queue(
    origin: Origin,
    b: Batch,
    content: str,
    phones: Sequence[Phone],
    path: str,
    named: dict[str, int] | None,
) -> list[Message]:
    numbers = list(dict.fromkeys(phone.e164 for phone in phones if phone.e164))
    trial = sms_allowance_take(origin.org, len(numbers))
    if trial is None:
        # ActionFailed, not Invalid: this action fails (status error), the request goes on.
        raise fail(path, sms_refusal(origin.org, len(numbers)))
    customers = {**_customers_by_phone(b, numbers), **(named or {})}
    now = timezone.now()
    # The message shows on the timeline of the customer with that number (SPEC §5:
    # every action writes history on the records it touches).
    for number, customer_id in customers.items():
        b.history.add(f"SMS to {number} queued by {origin.describe()}.", customer_id=customer_id)
    return Message.objects.bulk_create(
        Message(
            org=origin.org,
            channel=Channel.SMS,
            customer_id=customers.get(number),
            to=number,
            body=content,
            reason="send-sms",
            uses_trial=trial,
            listener=origin.listener,
            request_id=origin.request_id,
            created_at=now,
            next_attempt_at=now,
        )
        for number in numbers
    )


def sendable_phones(*, org_id: int, customer_id: int, path: str, warnings: Warnings) -> list[Phone]:
    """A customer's phones an SMS may go to: those stored as valid numbers (with
    their E.164 form). Each other one is named in a warning (SPEC §4)."""
    customer = Customer.objects.only("phones").get(id=customer_id, org_id=org_id)
    sendable = []
    for entry in customer.phones:
        if entry.get("e164"):
            sendable.append(Phone(entry["value"], entry["e164"]))
        else:
            warnings.warn(path, f"the customer's phone {entry['value']!r} is not valid; not sent")
    return sendable


def _customers_by_phone(b: Batch, numbers: list[str]) -> dict[str, int]:
    """The oldest customer with each number, so the SMS shows on its timeline."""
    keys = {phone_key(Phone(number, number)): number for number in numbers}
    found = b.keys.customers(keys, [kind.value for kind in Kind])
    return {keys[key]: rows[0][0] for key, rows in found.items()}


def sms_allowance_take(org: Org, count: int) -> bool | None:
    """Whether `count` SMS may be queued for `org` now: False when they go through
    its own provider, True when they come off its trial allowance (decremented here,
    in the caller's transaction), None when it cannot send that many: no provider
    and too little trial left, or past its daily cap."""
    if count == 0:
        return False
    # Locks the org's row until the transaction ends, so two requests cannot both
    # pass the cap or both take the last trial message.
    cap, provider = (
        Org.objects.select_for_update().values_list("sms_daily_cap", "sms_provider").get(id=org.id)
    )
    cap = settings.CRMDP_SMS_DAILY_CAP if cap is None else cap
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = Message.objects.filter(
        org_id=org.id, channel=Channel.SMS, created_at__gte=today
    ).count()
    if sent_today + count > cap:
        return None
    if provider:
        return False
    taken = Org.objects.filter(id=org.id, sms_trial_remaining__gte=count).update(
        sms_trial_remaining=F("sms_trial_remaining") - count
    )
    return True if taken else None


def sms_refusal(org: Org, count: int) -> str:
    """Why `count` SMS cannot be queued, in words for the sender."""
    org.refresh_from_db(fields=["sms_provider", "sms_trial_remaining", "sms_daily_cap"])
    cap = daily_sms_cap(org)
    if org.sms_provider:
        return f"this org's daily SMS cap of {cap} would be exceeded; try again tomorrow (UTC)"
    return (
        f"SMS is not set up: this org has no SMS provider and its trial allowance has "
        f"{org.sms_trial_remaining} message(s) left, {count} needed (or its daily cap of "
        f"{cap} is reached); an owner or admin chooses a provider in Settings → SMS"
    )


@dataclass
class SmsSetup:
    provider: str  # "" (none: the trial allowance), "log" or "http"
    url: str
    trial_remaining: int
    daily_cap: int


def sms_set(
    org: Org,
    *,
    provider: str | None = None,
    url: str | None = None,
    trial: int | None = None,
    daily_cap: int | None = None,
) -> SmsSetup:
    """Set the org's SMS provider and/or its trial allowance (`crmdp sms set`, the
    SMS settings page). `provider` "" or "none" means no provider: the org sends
    from its trial allowance; None leaves the provider as it is."""
    url = (url or "").strip()
    if provider is not None:
        provider = provider.strip().lower()
        provider = "" if provider == "none" else provider
        if provider not in ("", *SMS_TRANSPORTS):
            choices = ", ".join([*SMS_TRANSPORTS, "none"])
            raise Invalid("provider", f"{provider!r} is not an SMS provider; use one of {choices}")
        if provider == "http":
            url = url or org.sms_url
            if not url:
                raise Invalid("url", "the http provider needs its URL (the gateway's address)")
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise Invalid("url", f"{url!r} is not an http(s) URL") from None
            try:
                # Checked again at every send, after resolving (the name may change).
                outbound.check_url(url, allow_private=settings.CRMDP_OUTBOUND_ALLOW_PRIVATE)
            except outbound.Refused as refused:
                raise Invalid("url", f"the platform does not send there: {refused}") from None
        elif url:
            raise Invalid("url", "only the http provider takes a URL")
        org.sms_provider, org.sms_url = provider, url if provider == "http" else ""
    elif url:
        raise Invalid("url", "a URL goes with the http provider")
    if trial is not None:
        if trial < 0:
            raise Invalid("trial", "must not be negative")
        org.sms_trial_remaining = trial
    if daily_cap is not None:
        if daily_cap < 0:
            raise Invalid("daily_cap", "must not be negative")
        org.sms_daily_cap = daily_cap
    org.save(update_fields=["sms_provider", "sms_url", "sms_trial_remaining", "sms_daily_cap"])
    return SmsSetup(org.sms_provider, org.sms_url, org.sms_trial_remaining, daily_sms_cap(org))


def daily_sms_cap(org: Org) -> int:
    return settings.CRMDP_SMS_DAILY_CAP if org.sms_daily_cap is None else org.sms_daily_cap
