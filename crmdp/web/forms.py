"""Forms read what a person typed into typed values; the rules about those values
live in the services (`validate()`, `Invalid`), whose problems the views put back
beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from crmdp.lib import locales
from crmdp.lib.issues import Invalid
from crmdp.messaging.models import Channel, MessageStatus
from crmdp.orgs.models import (
    CatalogItem,
    CatalogKind,
    FieldType,
    Org,
    RecordType,
    Role,
    User,
    UserGroup,
)
from crmdp.orgs.permits import EVERYBODY, OWNER, Permit
from crmdp.tickets.models import TicketStatus

# Service messages are written to follow the field's name ("is required when …").
_CONTINUES_THE_NAME = ("is ", "must ", "does ", "uses ")


def show_problems(form: forms.BaseForm, problems: list[Invalid]) -> None:
    """Put each service problem beside its field (or on top when no field has its name),
    as a sentence: "Email subject is required when auto email is on"."""
    for problem in problems:
        field = form.fields.get(problem.field)
        message = problem.message
        if field is not None and message.startswith(_CONTINUES_THE_NAME):
            message = f"{field.label or problem.field} {message}"
        form.add_error(
            problem.field if field is not None else None, message[:1].upper() + message[1:]
        )


class SourceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _sources(org: Org) -> Any:
    return CatalogItem.objects.filter(org=org, kind=CatalogKind.SOURCE).order_by("name")


def _members(org: Org) -> Any:
    return User.objects.filter(memberships__org=org).order_by("email")


class SearchForm(forms.Form):
    """The one search box: a query the lists can run (a NUL byte, which PostgreSQL
    cannot compare, makes the form invalid and the search empty)."""

    q = forms.CharField(required=False, max_length=200, strip=True)


class CustomerFilters(forms.Form):
    """Search and filters above a list of contacts, accounts or leads."""

    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Name, email, phone or code", "type": "search"}
        ),
    )
    kind = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "All"), ("contact", "Contacts"), ("account", "Accounts")],
    )
    source = SourceChoice(queryset=CatalogItem.objects.none(), required=False, empty_label="Any")
    tag = forms.CharField(label="Tag", required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone"
    )

    def __init__(self, org: Org, *args: Any, with_kind: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = _sources(org)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _members(org)  # type: ignore[attr-defined]
        if not with_kind:
            del self.fields["kind"]


class CatalogChoice(forms.ModelChoiceField):
    """One entry of an org's catalog (a stage, a channel), by its name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _catalog(org: Org, kind: str) -> Any:
    return CatalogItem.objects.filter(org=org, kind=kind).order_by("position", "name")


class DealFilters(forms.Form):
    """Search and filters above the deals."""

    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Name or deal ID", "type": "search"}),
    )
    stage = CatalogChoice(queryset=CatalogItem.objects.none(), required=False, empty_label="Any")
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone"
    )
    category = CatalogChoice(queryset=CatalogItem.objects.none(), required=False, empty_label="Any")
    # A customer's code (`PID-3`): that customer's deals, from its page.
    customer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = _catalog(org, CatalogKind.STAGE)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _members(org)  # type: ignore[attr-defined]
        self.fields["category"].queryset = _catalog(org, CatalogKind.CATEGORY)  # type: ignore[attr-defined]


class GroupChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class TicketFilters(forms.Form):
    """Search and filters above the tickets."""

    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Title or code (TID-3)", "type": "search"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *TicketStatus.choices])
    channel = CatalogChoice(queryset=CatalogItem.objects.none(), required=False, empty_label="Any")
    group = GroupChoice(queryset=UserGroup.objects.none(), required=False, empty_label="Any")
    sla = CatalogChoice(
        label="SLA", queryset=CatalogItem.objects.none(), required=False, empty_label="Any"
    )
    tag = forms.CharField(label="Tag", required=False)
    # A customer's code or a dealId: their tickets, from their pages.
    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    deal = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = _catalog(org, CatalogKind.CHANNEL)  # type: ignore[attr-defined]
        self.fields["group"].queryset = _groups(org)  # type: ignore[attr-defined]
        self.fields["sla"].queryset = _catalog(org, CatalogKind.SLA)  # type: ignore[attr-defined]


class MessageFilters(forms.Form):
    """Filters above the org's outbox; the status is chosen with tabs."""

    status = forms.ChoiceField(required=False, choices=[("", "All"), *MessageStatus.choices])
    channel = forms.ChoiceField(
        required=False, choices=[("", "Any"), (Channel.EMAIL, "Email"), (Channel.SMS, "SMS")]
    )
    customer = forms.CharField(required=False, widget=forms.HiddenInput)


class GroupChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _groups(org: Org) -> Any:
    return UserGroup.objects.filter(org=org).order_by("name")


ROLE_CHOICES = [
    (Role.MEMBER, "Member — sees records as their permits allow"),
    (Role.ADMIN, "Admin — manages settings, sees every record"),
    (Role.OWNER, "Owner — as admin"),
]


class UserAddForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(label="Full name", max_length=200, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.MEMBER)
    groups = GroupChoices(queryset=UserGroup.objects.none(), required=False)
    password = forms.CharField(
        label="Initial password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=(
            "The password of a new login. Someone who already logs in (here or in"
            " another org) keeps their own password and is only added to this org."
        ),
    )

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = _groups(org)  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    groups = GroupChoices(queryset=UserGroup.objects.none(), required=False)
    is_active = forms.BooleanField(
        label="Active (may log in to this org)", required=False, initial=True
    )

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = _groups(org)  # type: ignore[attr-defined]


class GroupForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=200)


class CatalogForm(forms.Form):
    name = forms.CharField(max_length=200)
    first_response_minutes = forms.IntegerField(
        label="First response (minutes)", min_value=1, required=False
    )
    resolution_minutes = forms.IntegerField(
        label="Resolution (minutes)", min_value=1, required=False
    )

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == CatalogKind.CURRENCY:
            self.fields["name"].label = "Currency code"
            self.fields["name"].help_text = "ISO 4217, e.g. USD, EUR, VND."
            self.fields["name"].widget.attrs["maxlength"] = 3
        if kind != CatalogKind.SLA:
            del self.fields["first_response_minutes"]
            del self.fields["resolution_minutes"]
        else:
            self.fields["first_response_minutes"].required = True
            self.fields["resolution_minutes"].required = True


class FieldForm(forms.Form):
    record_type = forms.ChoiceField(
        label="Record type", choices=[(t.value, t.label.capitalize()) for t in RecordType]
    )
    name = forms.CharField(max_length=200)
    field_type = forms.ChoiceField(
        label="Type", choices=[(t.value, t.label.capitalize()) for t in FieldType]
    )
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For select and checkbox fields: one choice per line.",
    )

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


SMS_PROVIDER_CHOICES = [
    ("", "None: send from the trial allowance"),
    ("log", "Log: record messages without sending them"),
    ("http", "HTTP gateway"),
]


class SmsForm(forms.Form):
    provider = forms.ChoiceField(
        label="SMS provider",
        choices=SMS_PROVIDER_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    url = forms.CharField(
        label="Gateway URL",
        required=False,
        help_text="The HTTP gateway's endpoint (http or https).",
    )
    # No trial field: the trial allowance is the platform's money, so only the
    # operator sets it (`crmdp sms set --trial`); the page only shows what is left.


class RegionForm(forms.Form):
    """How the org's incoming values are read (SPEC §1, §4)."""

    phone_region = forms.CharField(
        label="Phone region",
        max_length=2,
        help_text="ISO code (VN, US …): how national numbers such as 0905 000 001 are read.",
    )
    country = forms.ChoiceField(
        label="Country",
        choices=(),
        help_text="How dates and numbers are written: 01/02/1993 day or month first, "
        "50.000 thousands or a decimal.",
    )
    timezone = forms.ChoiceField(
        label="Timezone",
        choices=(),
        required=False,
        help_text="Where an epoch instant falls on the calendar. Empty: the country's main one.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        zone = self.fields["timezone"]
        assert isinstance(country, forms.ChoiceField) and isinstance(zone, forms.ChoiceField)
        country.choices = [(code, f"{name} ({code})") for code, name in locales.country_choices()]
        zone.choices = [("", "The country's main timezone")] + [
            (name, name) for name in locales.timezone_choices()
        ]


# A note is short text, but not a tweet: a call's summary, an email pasted in.
NOTE_LENGTH = 10_000


class NoteForm(forms.Form):
    """The "Note" box of a record's page."""

    prefix = "note"

    body = forms.CharField(
        label="Note",
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What was said, what comes next"}),
        error_messages={"required": "write something first."},
    )
    visible_to = forms.ChoiceField(
        label="Visible to",
        choices=[(str(EVERYBODY), "Everybody"), (str(OWNER), "Only me")],
        initial=str(EVERYBODY),
    )

    def text(self) -> str:
        return str(self.cleaned_data["body"])

    def permit(self) -> Permit:
        return Permit(int(self.cleaned_data["visible_to"]))


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.email)


class TicketAssignForm(forms.Form):
    """Who works on a ticket: a member of the org, and a group of it."""

    assignee = MemberChoice(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={"invalid_choice": "choose an active member of this organisation."},
    )
    group = GroupChoice(
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label="No group",
        error_messages={"invalid_choice": "choose one of this organisation's groups."},
    )

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this org's active members and groups: another org's id is no choice.
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__org=org, memberships__is_active=True
        ).order_by("email")
        self.fields["group"].queryset = _groups(org)  # type: ignore[attr-defined]
