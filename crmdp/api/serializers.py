"""Records as the read API shows them (shapes in crmdp.api.schemas)."""

from __future__ import annotations

from typing import Any

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.deals.selectors import Related
from crmdp.listeners.models import Delivery
from crmdp.messaging.models import Message
from crmdp.notes.models import Note
from crmdp.orgs.models import CustomFieldDefinition
from crmdp.tickets.models import Ticket


def iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def customer_json(
    customer: Customer, field_names: dict[str, str], related: Related
) -> dict[str, Any]:
    """`field_names` maps custom field definition ids to their names; a company the
    reader may not see (`related`) is null."""
    company = related.customer(customer.company)
    return {
        "type": customer.kind,
        "id": customer.id,
        "customerId": customer.code,
        "name": customer.name,
        "lastname": customer.lastname,
        "title": customer.title,
        "passport": customer.passport,
        "gender": customer.gender,
        "bgInfo": customer.bg_info,
        "dateOfBirth": iso(customer.date_of_birth),
        "emails": [{"type": e["type"], "value": e["value"]} for e in customer.emails],
        "phones": [
            {"type": p["type"], "value": p["value"], "e164": p.get("e164")} for p in customer.phones
        ],
        "addresses": customer.addresses,
        "im": customer.im,
        "websites": customer.websites,
        "tags": customer.tags,
        "source": customer.source.name if customer.source else None,
        "owner": customer.owner.email if customer.owner else None,
        "permit": _permit(customer),
        "customFields": {
            field_names.get(field_id, field_id): value
            for field_id, value in customer.custom_fields.items()
        },
        "company": {"customerId": company.code, "name": company.name} if company else None,
        "companyLead": customer.company_lead,
        "contactId": customer.contact_id,
        "attribution": customer.attribution,
        "createdAt": iso(customer.created_at),
        "history": _history(customer.history.all()),
    }


def custom_field_names(org_id: int, record_types: tuple[str, ...]) -> dict[str, str]:
    """{definition id: name} of the org's custom fields of these record types."""
    definitions = CustomFieldDefinition.objects.filter(org_id=org_id, record_type__in=record_types)
    return {str(pk): name for pk, name in definitions.values_list("id", "name")}


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "requestId": str(delivery.request_id),
        "receivedAt": iso(delivery.received_at),
        "sourceIp": delivery.source_ip,
        "status": delivery.status,
        "sender": delivery.sender,
        "body": delivery.body_text,
        "bodySize": delivery.body_size,
        "response": delivery.response,
        "outcomes": delivery.outcomes,
        "durationMs": delivery.duration_ms,
        "replayOf": delivery.replay_of_id,
        "format": delivery.format,
        "spam": delivery.spam,
    }


def _customer_ref(customer: Customer | None) -> dict[str, Any] | None:
    return {"customerId": customer.code, "name": customer.display_name} if customer else None


def _history(entries: Any) -> list[dict[str, Any]]:
    return [{"at": iso(entry.at), "text": entry.text} for entry in entries]


def _permit(record: Any) -> dict[str, Any]:
    return {
        "status": record.permit_status,
        "group": record.permit_group.name if record.permit_group else None,
        "users": [user.email for user in record.permit_users.all()],
    }


def note_json(note: Note, related: Related) -> dict[str, Any]:
    """The note; its customer or deal is null when the reader may not see it (a note
    has its own permit, so it may be shared wider than the records it is on)."""
    deal = related.deal(note.deal)
    return {
        "id": note.id,
        "body": note.body,
        "author": note.owner.email if note.owner else None,
        "channel": note.channel.name if note.channel else None,
        "permit": _permit(note),
        "customer": _customer_ref(related.customer(note.customer)),
        "deal": {"dealId": deal.number, "name": deal.name} if deal else None,
        "createdAt": iso(note.created_at),
    }


def deal_json(
    deal: Deal, field_names: dict[str, str], notes: list[Note], related: Related
) -> dict[str, Any]:
    """The deal; a customer the reader may not see is null, and such related
    contacts are left out."""
    contacts = [related.customer(contact) for contact in deal.contacts.all()]
    return {
        "type": "deal",
        "id": deal.number,
        "dealId": deal.number,
        "name": deal.name,
        "stage": deal.stage.name if deal.stage else None,
        # Fixed-point ("50000", never "5E+4"), without trailing zeros.
        "value": f"{deal.value.normalize():f}" if deal.value is not None else None,
        "currency": deal.currency.name if deal.currency else None,
        "description": deal.description,
        "closeDate": iso(deal.close_date),
        "category": deal.category.name if deal.category else None,
        "package": deal.package.name if deal.package else None,
        "owners": {
            "users": [user.email for user in deal.owner_users.all()],
            "groups": [group.name for group in deal.owner_groups.all()],
        },
        "owner": deal.owner.email if deal.owner else None,
        "customer": _customer_ref(related.customer(deal.customer)),
        "contacts": [_customer_ref(contact) for contact in contacts if contact is not None],
        "permit": _permit(deal),
        "customFields": {field_names.get(k, k): v for k, v in deal.custom_fields.items()},
        "notes": [note_json(note, related) for note in notes],
        "createdAt": iso(deal.created_at),
        "history": _history(deal.history.all()),
    }


def ticket_json(ticket: Ticket, field_names: dict[str, str], related: Related) -> dict[str, Any]:
    """The ticket; a deal the reader may not see is null."""
    deal = related.deal(ticket.deal)
    return {
        "type": "ticket",
        "id": ticket.id,
        "code": ticket.code,
        "title": ticket.title,
        "body": ticket.body,
        "status": ticket.status,
        "customer": _customer_ref(related.customer(ticket.customer)),
        "deal": {"dealId": deal.number, "name": deal.name} if deal else None,
        "group": ticket.group.name if ticket.group else None,
        "sla": ticket.sla.name if ticket.sla else None,
        "firstResponseDue": iso(ticket.first_response_due),
        "resolutionDue": iso(ticket.resolution_due),
        "channel": ticket.channel.name if ticket.channel else None,
        "tags": ticket.tags,
        "customFields": {field_names.get(k, k): v for k, v in ticket.custom_fields.items()},
        "owner": ticket.owner.email if ticket.owner else None,
        "createdAt": iso(ticket.created_at),
        "history": _history(ticket.history.all()),
    }


def message_json(message: Message, related: Related) -> dict[str, Any]:
    return {
        "id": message.id,
        "channel": message.channel,
        "to": message.to,
        "subject": message.subject,
        "body": message.body,
        "reason": message.reason,
        "status": message.status,
        "attempts": message.attempts,
        "lastError": message.last_error,
        "provider": message.provider,
        "providerMessageId": message.provider_message_id,
        "customer": _customer_ref(related.customer(message.customer)),
        "createdAt": iso(message.created_at),
        "sentAt": iso(message.sent_at),
    }
