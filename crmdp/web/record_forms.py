"""The forms that create and edit records by hand.

What a person types is read exactly as the listener reads a request: the form's
values become the listener's own payload model (crmdp.listeners.schemas) and go
through the same reading functions (phones in the org's region, emails, dates and
numbers in the org's conventions, custom fields by their type, permits). Where the
listener would store a value with a warning, a form refuses it instead and says why
beside the field: a person can fix what they typed, a sender's system cannot.

Over 400 lines on purpose: the customer, deal and ticket forms share the sharing
(permit) fields and the custom-field machinery, and each reads its values the
listener's way; together they show that rule in one place.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from pydantic import ValidationError

from crmdp.customers.models import Customer, Gender, Kind
from crmdp.customers.reading import CustomerInput, read_customer
from crmdp.customers.selectors import visible_customer
from crmdp.deals.selectors import deal_number, visible_deals
from crmdp.lib.issues import Warnings
from crmdp.lib.values import aware, read_datetime, read_decimal, read_tags
from crmdp.listeners.models import Listener
from crmdp.listeners.schemas import AddContact, AddLead
from crmdp.orgs.custom_fields import MULTI_VALUED, read_custom_value
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import (
    CatalogItem,
    CatalogKind,
    CustomFieldDefinition,
    FieldType,
    Membership,
    User,
    UserGroup,
)
from crmdp.orgs.permits import EVERYBODY, OWNER, OWNER_AND_GROUP, OWNER_AND_USERS, Permit, permit_of
from crmdp.orgs.selectors import record_type_fields
from crmdp.tickets.models import TicketStatus
from crmdp.web.editing import DealValues, TicketValues

PERMIT_CHOICES = [
    (str(EVERYBODY), "Everybody"),
    (str(OWNER), "Only the owner"),
    (str(OWNER_AND_GROUP), "The owner and a group"),
    (str(OWNER_AND_USERS), "The owner and named users"),
]


def _values(text: str) -> list[str]:
    """ "a@b.c, d@e.f" or one a line: the values, trimmed, empties dropped."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


class _Named(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "email", None) or getattr(obj, "name", obj))


class _NamedMany(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "email", None) or getattr(obj, "name", obj))


def catalog_of(membership: Membership, kind: str) -> Any:
    return CatalogItem.objects.filter(org_id=membership.org_id, kind=kind).order_by(
        "position", "name"
    )


def _catalog_field(label: str, required: bool = False, empty: str = "—") -> _Named:
    return _Named(
        label=label,
        queryset=CatalogItem.objects.none(),
        required=required,
        empty_label=empty,
        error_messages={"invalid_choice": f"choose one of this organisation's {label.lower()}s."},
    )


def members_of(membership: Membership) -> Any:
    return User.objects.filter(
        memberships__org_id=membership.org_id, memberships__is_active=True
    ).order_by("email")


def groups_of(membership: Membership) -> Any:
    return UserGroup.objects.filter(org_id=membership.org_id).order_by("name")


class SharingFields(forms.Form):
    """Owner and permit: who owns a record and who else may see it. Only the
    record's owner, or an owner or admin of the org, may change them."""

    owner = _Named(
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": "choose an active member of this organisation."},
    )
    permit_status = forms.ChoiceField(label="Visible to", choices=PERMIT_CHOICES)
    permit_group = _Named(
        label="Permit group",
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": "choose one of this organisation's groups."},
    )
    permit_users = _NamedMany(
        label="Permit users",
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": "choose active members of this organisation."},
    )

    def setup_sharing(self, membership: Membership, may_share: bool) -> None:
        self.fields["owner"].queryset = members_of(membership)  # type: ignore[attr-defined]
        self.fields["permit_group"].queryset = groups_of(membership)  # type: ignore[attr-defined]
        self.fields["permit_users"].queryset = members_of(membership)  # type: ignore[attr-defined]
        if not may_share:
            for name in ("owner", "permit_status", "permit_group", "permit_users"):
                self.fields[name].disabled = True
                self.fields[
                    name
                ].help_text = "Only the record's owner, or an owner or admin, may change this."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("permit_status")
        if status == str(OWNER_AND_GROUP) and not data.get("permit_group"):
            self.add_error("permit_group", "choose the group that may see it.")
        return data

    def sharing(self) -> tuple[User | None, Permit]:
        data = self.cleaned_data
        status = int(data.get("permit_status") or EVERYBODY)
        group = data.get("permit_group") if status == OWNER_AND_GROUP else None
        users = list(data.get("permit_users") or []) if status == OWNER_AND_USERS else []
        return data.get("owner"), Permit(status, group, users)

    @staticmethod
    def initial_sharing(record: Any) -> dict[str, Any]:
        permit = permit_of(record)
        return {
            "owner": record.owner_id,
            "permit_status": str(permit.status),
            "permit_group": permit.group.id if permit.group else None,
            "permit_users": [user.id for user in permit.users],
        }


# Where the listener's reading puts a problem (its path) → the form's field.
_PATH_FIELDS = {
    "name": "name",
    "lastname": "lastname",
    "title": "title",
    "passport": "passport",
    "emails": "email",
    "phones": "phone",
    "dateOfBirth": "date_of_birth",
    "bgInfo": "bg_info",
    "tag": "tags",
    "companyLead": "company",
    "companyContact": "company",
    "gender": "gender",
    "source": "source",
}


class CustomerForm(SharingFields):
    """A contact, account or lead: the fields of add-contact and add-lead."""

    name = forms.CharField(label="First name", max_length=500)
    lastname = forms.CharField(label="Last name", max_length=500, required=False)
    title = forms.CharField(label="Title", max_length=500, required=False)
    company = forms.CharField(label="Company", max_length=500, required=False)
    email = forms.CharField(
        label="Email", required=False, help_text="Several: separate them with commas."
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        help_text="Any format; a national number is read in the organisation's region. "
        "Several: separate them with commas.",
    )
    passport = forms.CharField(label="Passport", max_length=200, required=False)
    gender = forms.ChoiceField(
        label="Gender",
        choices=[("", "—"), (str(Gender.MALE), "Male"), (str(Gender.FEMALE), "Female")],
        required=False,
    )
    date_of_birth = forms.CharField(
        label="Date of birth",
        required=False,
        help_text="e.g. 1993-02-01, or as dates are written in the organisation's country.",
    )
    bg_info = forms.CharField(
        label="Background", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Separate them with commas.")
    source = _catalog_field("Source")
    welcome = forms.ModelChoiceField(
        label="Welcome message",
        queryset=Listener.objects.none(),
        required=False,
        empty_label="Don't send",
        help_text="The welcome email and SMS of a webhook listener, as if it had "
        "received this customer.",
    )

    def __init__(
        self,
        membership: Membership,
        kind: Kind,
        *args: Any,
        creating: bool = True,
        may_share: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.kind = kind
        self.record_type = "lead" if kind == Kind.LEAD else "contact"
        self.setup_sharing(membership, may_share)
        # Only this org's customer sources are offered, and any other id is refused.
        self.fields["source"].queryset = catalog_of(membership, CatalogKind.SOURCE)  # type: ignore[attr-defined]
        if kind == Kind.ACCOUNT:
            self.fields["name"].label = "Name"
            for name in ("lastname", "gender", "date_of_birth", "company"):
                del self.fields[name]
        elif kind == Kind.CONTACT:
            self.fields["company"].help_text = (
                "The account this contact works for, by its name; a new account is "
                "created when none has it."
            )
        self.definitions: list[CustomFieldDefinition] = list(
            record_type_fields(membership.org_id, self.record_type)
        )
        for definition in self.definitions:
            self.fields[f"cf_{definition.id}"] = custom_field(definition)
        if creating:
            welcoming = Listener.objects.filter(org_id=membership.org_id).exclude(
                email_enabled=False, sms_enabled=False
            )
            self.fields["welcome"].queryset = welcoming.order_by("name")  # type: ignore[attr-defined]
            first = welcoming.order_by("name").first()
            self.fields["welcome"].initial = first.id if first else None
        else:
            del self.fields["welcome"]

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        initial = {
            "name": customer.name,
            "lastname": customer.lastname,
            "title": customer.title,
            "company": customer.company_lead
            if customer.kind == Kind.LEAD
            else (customer.company.name if customer.company else ""),
            "email": ", ".join(str(entry.get("value", "")) for entry in customer.emails),
            "phone": ", ".join(str(entry.get("value", "")) for entry in customer.phones),
            "passport": customer.passport,
            "gender": "" if customer.gender == Gender.OTHER else str(customer.gender),
            "date_of_birth": customer.date_of_birth.isoformat() if customer.date_of_birth else "",
            "bg_info": customer.bg_info,
            "tags": ", ".join(customer.tags),
            "source": customer.source_id,
            **SharingFields.initial_sharing(customer),
        }
        for field_id, value in customer.custom_fields.items():
            initial[f"cf_{field_id}"] = value if isinstance(value, list) else str(value)
        return initial

    def customer_input(self) -> CustomerInput | None:
        """What was typed, read as the listener reads add-contact or add-lead; None
        (with each problem beside its field) when something cannot be read."""
        # Every problem at once: what Django could read is read on, as the listener would.
        self.is_valid()
        data = self.cleaned_data
        payload: dict[str, Any] = {
            "name": data.get("name") or None,
            "lastname": data.get("lastname") or None,
            "title": data.get("title") or None,
            "passport": data.get("passport") or None,
            "gender": int(data["gender"]) if data.get("gender") else None,
            "bgInfo": data.get("bg_info") or None,
            "dateOfBirth": data.get("date_of_birth") or None,
            "emails": [{"value": value} for value in _values(data.get("email") or "")],
            "phones": [{"value": value} for value in _values(data.get("phone") or "")],
            "tag": data.get("tags") or None,
        }
        if self.kind == Kind.ACCOUNT:
            payload["type"] = 1
        company = data.get("company")
        if company and self.kind == Kind.LEAD:
            payload["companyLead"] = company
        elif company and self.kind == Kind.CONTACT:
            payload["companyContact"] = {"name": company}
        # Custom fields by name, as cusFields; their index says which form field.
        custom: list[dict[str, Any]] = []
        self._custom_at: list[str] = []
        for definition in self.definitions:
            value = data.get(f"cf_{definition.id}")
            if value in (None, "", []):
                continue
            custom.append({"name": definition.name, "value": value})
            self._custom_at.append(f"cf_{definition.id}")
        if custom:
            payload["cusFields"] = custom
        schema = AddLead if self.kind == Kind.LEAD else AddContact
        try:
            parsed = schema.model_validate(payload)
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"])
                self.problem(where, str(problem["msg"]))
            return None
        warnings = Warnings()
        read = read_customer(
            parsed,
            record_type=self.record_type,
            directory=OrgDirectory(self.membership.org),
            path="",
            warnings=warnings,
            updating=False,
        )
        if self.kind == Kind.CONTACT and company:
            read.company = CustomerInput(path="companyContact", name=company)
        for warning in warnings:
            self.problem(warning.field, warning.message)
        # A value the listener keeps though it cannot read it (an invalid phone) is
        # refused here: it could never be matched or dialled.
        for _, phone in read.phones:
            if not phone.e164 and "phone" not in self.errors:
                self.add_error("phone", f"{phone.value} is not a phone number.")
        return None if self.errors else read

    def problem(self, path: str, message: str) -> None:
        """A problem the reading or a service found, beside the field its path names."""
        head = re.split(r"[.\[]", path, maxsplit=1)[0]
        field = _PATH_FIELDS.get(head)
        if head == "cusFields":
            index = re.match(r"cusFields\[(\d+)\]", path)
            at = getattr(self, "_custom_at", [])
            if index and int(index.group(1)) < len(at):
                field = at[int(index.group(1))]
        if field not in self.fields:
            field = None
        # The listener's words end with what it did instead ("…; kept, not matched",
        # "…; ignored"): a form saves nothing, so only the problem is said.
        message = message.split("; ", 1)[0]
        text = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        if field is None or field not in self.errors or text not in self.errors[field]:
            self.add_error(field, text)


def custom_field(definition: CustomFieldDefinition) -> forms.Field:
    """A form field for one custom field definition, by its type."""
    choices = [(str(choice), str(choice)) for choice in definition.choices or []]
    label = definition.name
    if definition.field_type in MULTI_VALUED and choices:
        return forms.MultipleChoiceField(
            label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
        )
    if definition.field_type == FieldType.SELECT and choices:
        return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False)
    helps: dict[str, str] = {
        FieldType.NUMBER: "A number.",
        FieldType.DATE: "A date, e.g. 2019-07-08.",
    }
    help_text = helps.get(str(definition.field_type), "")
    return forms.CharField(label=label, required=False, help_text=help_text)


class _CustomFields:
    """The custom fields of one record type as form fields (`cf_<id>`), read by
    their type with the listener's reading."""

    definitions: list[CustomFieldDefinition]

    def add_custom_fields(self, form: forms.Form, org_id: int, record_type: str) -> None:
        self.definitions = list(record_type_fields(org_id, record_type))
        for definition in self.definitions:
            form.fields[f"cf_{definition.id}"] = custom_field(definition)

    def read_custom_fields(self, form: forms.Form, conventions: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.definitions:
            name = f"cf_{definition.id}"
            raw = form.cleaned_data.get(name)
            if raw in (None, "", []):
                continue
            value, problem = read_custom_value(definition, raw, conventions)
            if value is None:
                form.add_error(name, f"{str(problem)[:1].upper()}{str(problem)[1:]}.")
            else:
                values[str(definition.id)] = value
        return values

    @staticmethod
    def initial_custom(record: Any) -> dict[str, Any]:
        return {
            f"cf_{field_id}": value if isinstance(value, list) else str(value)
            for field_id, value in record.custom_fields.items()
        }


def customer_by_code(membership: Membership, code: str) -> Customer | None:
    """A customer named by its code (PID-3, CID-2, LID-7), if the member may see it."""
    return visible_customer(membership, code, (Kind.CONTACT, Kind.ACCOUNT, Kind.LEAD))


class DealForm(SharingFields, _CustomFields):
    """A deal: the fields of add-deal."""

    name = forms.CharField(label="Name", max_length=500)
    value = forms.CharField(
        label="Value", required=False, help_text="As numbers are written in your country."
    )
    currency = _catalog_field("Currency", empty="The organisation's default")
    stage = _catalog_field("Stage", required=True, empty="")
    customer = forms.CharField(
        label="Customer",
        max_length=40,
        help_text="Its code, e.g. PID-3, CID-2 or LID-7 (on its page, beside its name).",
    )
    close_date = forms.CharField(label="Close date", required=False, help_text="e.g. 2026-12-24.")
    category = _catalog_field("Category")
    package = _catalog_field("Package")
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner_users = _NamedMany(
        label="Owner users",
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": "choose active members of this organisation."},
    )
    owner_groups = _NamedMany(
        label="Owner groups",
        queryset=UserGroup.objects.none(),
        required=False,
        error_messages={"invalid_choice": "choose groups of this organisation."},
    )

    def __init__(
        self, membership: Membership, *args: Any, may_share: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.setup_sharing(membership, may_share)
        for name, kind in (
            ("currency", CatalogKind.CURRENCY),
            ("stage", CatalogKind.STAGE),
            ("category", CatalogKind.CATEGORY),
            ("package", CatalogKind.PACKAGE),
        ):
            self.fields[name].queryset = catalog_of(membership, kind)  # type: ignore[attr-defined]
        self.fields["owner_users"].queryset = members_of(membership)  # type: ignore[attr-defined]
        self.fields["owner_groups"].queryset = groups_of(membership)  # type: ignore[attr-defined]
        self.add_custom_fields(self, membership.org_id, "deal")

    @staticmethod
    def initial_for(deal: Any) -> dict[str, Any]:
        return {
            "name": deal.name,
            "value": f"{deal.value.normalize():f}" if deal.value is not None else "",
            "currency": deal.currency_id,
            "stage": deal.stage_id,
            "customer": deal.customer.code if deal.customer else "",
            "close_date": deal.close_date.date().isoformat() if deal.close_date else "",
            "category": deal.category_id,
            "package": deal.package_id,
            "description": deal.description,
            "owner_users": [user.id for user in deal.owner_users.all()],
            "owner_groups": [group.id for group in deal.owner_groups.all()],
            **SharingFields.initial_sharing(deal),
            **_CustomFields.initial_custom(deal),
        }

    def deal_values(self, current_customer: Customer | None = None) -> DealValues | None:
        self.is_valid()
        data = self.cleaned_data
        conventions = self.membership.org.conventions
        value = None
        if data.get("value"):
            read = read_decimal(data["value"], conventions)
            if read.value is None:
                self.add_error("value", "Not a number.")
            value = read.value
        close_date = None
        if data.get("close_date"):
            moment = read_datetime(data["close_date"], conventions)
            if moment.value is None:
                self.add_error("close_date", "Not a date (e.g. 2026-12-24).")
            else:
                close_date = aware(moment.value)
        customer = None
        code = (data.get("customer") or "").strip()
        if code:
            customer = customer_by_code(self.membership, code)
            if customer is None and not (current_customer and current_customer.code == code):
                self.add_error("customer", f"No customer {code} that you can see.")
            elif customer is None:
                customer = current_customer  # kept, though the member may not see it
        custom = self.read_custom_fields(self, conventions)
        if self.errors:
            return None
        currency = (
            data.get("currency")
            or CatalogItem.objects.filter(
                org_id=self.membership.org_id, kind=CatalogKind.CURRENCY, is_default=True
            ).first()
        )
        return DealValues(
            name=data["name"],
            stage=data["stage"],
            customer=customer,
            value=value,
            currency=currency,
            close_date=close_date,
            category=data.get("category"),
            package=data.get("package"),
            description=data.get("description") or "",
            custom_fields=custom,
            owner_users=list(data.get("owner_users") or []),
            owner_groups=list(data.get("owner_groups") or []),
        )


class TicketForm(_CustomFields, forms.Form):
    """A ticket: the fields of add-ticket, and who works on it."""

    title = forms.CharField(label="Subject", max_length=500)
    status = forms.ChoiceField(label="Status", choices=TicketStatus.choices)
    group = _Named(
        label="Group",
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label="No group",
        error_messages={"invalid_choice": "choose one of this organisation's groups."},
    )
    assignee = _Named(
        label="Assignee",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={"invalid_choice": "choose an active member of this organisation."},
    )
    customer = forms.CharField(
        label="Customer",
        max_length=40,
        required=False,
        help_text="Its code, e.g. PID-3 (on its page, beside its name).",
    )
    deal = forms.CharField(label="Deal", max_length=20, required=False, help_text="Its dealId.")
    sla = _catalog_field("SLA policy")
    channel = _catalog_field("Channel")
    tags = forms.CharField(label="Tags", required=False, help_text="Separate them with commas.")
    body = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, membership: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["group"].queryset = groups_of(membership)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = members_of(membership)  # type: ignore[attr-defined]
        self.fields["sla"].queryset = catalog_of(membership, CatalogKind.SLA)  # type: ignore[attr-defined]
        self.fields["channel"].queryset = catalog_of(membership, CatalogKind.CHANNEL)  # type: ignore[attr-defined]
        self.add_custom_fields(self, membership.org_id, "ticket")

    @staticmethod
    def initial_for(ticket: Any) -> dict[str, Any]:
        return {
            "title": ticket.title,
            "status": ticket.status,
            "group": ticket.group_id,
            "assignee": ticket.assignee_id,
            "customer": ticket.customer.code if ticket.customer else "",
            "deal": str(ticket.deal.number) if ticket.deal else "",
            "sla": ticket.sla_id,
            "channel": ticket.channel_id,
            "tags": ", ".join(ticket.tags),
            "body": ticket.body,
            **_CustomFields.initial_custom(ticket),
        }

    def ticket_values(self, current: Any = None) -> TicketValues | None:
        self.is_valid()
        data = self.cleaned_data
        customer = None
        code = (data.get("customer") or "").strip()
        if code:
            customer = customer_by_code(self.membership, code)
            kept = current is not None and current.customer and current.customer.code == code
            if customer is None and kept:
                customer = current.customer
            elif customer is None:
                self.add_error("customer", f"No customer {code} that you can see.")
        deal = None
        given = (data.get("deal") or "").strip()
        if given:
            number = deal_number(given)
            deal = (
                visible_deals(self.membership).filter(number=number).first()
                if number is not None
                else None
            )
            kept = current is not None and current.deal and str(current.deal.number) == given
            if deal is None and kept:
                deal = current.deal
            elif deal is None:
                self.add_error("deal", f"No deal {given} that you can see.")
        custom = self.read_custom_fields(self, self.membership.org.conventions)
        if self.errors:
            return None
        return TicketValues(
            title=data["title"],
            body=data.get("body") or "",
            status=data["status"],
            customer=customer,
            deal=deal,
            group=data.get("group"),
            assignee=data.get("assignee"),
            sla=data.get("sla"),
            channel=data.get("channel"),
            tags=read_tags(data.get("tags") or ""),
            custom_fields=custom,
        )
