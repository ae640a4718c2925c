"""Reading the outbox: a customer's messages, and the org's for those who run it."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from crmdp.customers.models import Customer
from crmdp.customers.selectors import visible_customers
from crmdp.messaging.models import Message, MessageAttempt
from crmdp.orgs.models import Membership


def visible_messages(membership: Membership) -> QuerySet[Message]:
    """Owners and admins see every message of the org; a member, the messages to
    customers they may see."""
    messages = Message.objects.filter(org_id=membership.org_id)
    if membership.sees_everything:
        return messages
    return messages.filter(customer__in=visible_customers(membership))


def customer_messages(customer: Customer) -> QuerySet[Message]:
    """A customer's emails and SMS, newest first."""
    return Message.objects.filter(customer=customer).order_by("-id")


def outbox(
    membership: Membership,
    *,
    status: str | None = None,
    channel: str | None = None,
    customer: Customer | None = None,
) -> QuerySet[Message]:
    """The org's messages, newest first, narrowed by status, channel and customer."""
    messages = visible_messages(membership)
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    if customer is not None:
        messages = messages.filter(customer=customer)
    return messages.select_related("customer").order_by("-id")


def visible_message(membership: Membership, message_id: int) -> Message | None:
    """One message with each attempt at sending it (first first)."""
    return (
        visible_messages(membership)
        .select_related("customer", "listener")
        .prefetch_related(
            Prefetch("attempt_log", queryset=MessageAttempt.objects.order_by("number", "id"))
        )
        .filter(id=message_id)
        .first()
    )
