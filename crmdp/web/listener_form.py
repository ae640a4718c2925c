"""The listener's settings form (SPEC §2): its fields come from the `Listener` model,
its rules from `crmdp.listeners.services.validate()`, which `crmdp listener create`
runs too; so a rule, and its words, are written once for the page and the command."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator, MinValueValidator

from crmdp.listeners.models import Listener
from crmdp.listeners.services import SETTING_NAMES, ListenerSettings, validate
from crmdp.orgs.models import CatalogItem, CatalogKind, Org
from crmdp.web.forms import SourceChoice, show_problems

_SERVICE_SAYS = (MaxLengthValidator, MinValueValidator)


class AddressLines(forms.Field):
    """The allowed IPs: one address or CIDR range per line (commas separate too)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. 203.0.113.7 or 10.0.0.0/8"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = value or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class ListenerSettingsForm(forms.ModelForm):
    """The settings of a webhook listener, in the vendor guide's order. Saved through
    `listener_create` / `listener_update` (never `save()`), which check them again."""

    allowed_ips = AddressLines(
        label="Allowed IPs",
        required=False,
        help_text="One address or CIDR range per line. Empty: requests from anywhere.",
    )

    class Meta:
        model = Listener
        fields = SETTING_NAMES
        field_classes = {
            "default_contact_source": SourceChoice,
            "default_lead_source": SourceChoice,
        }
        labels = {
            "default_contact_source": "Default contact/account source",
            "default_lead_source": "Default lead source",
            "email_enabled": "Send an email to new customers",
            "sms_enabled": "Send an SMS to new customers",
            "sms_text": "SMS text",
            "rate_limit_per_minute": "Rate limit (requests per minute)",
        }
        help_texts = {
            "name": "What the listener is for, e.g. “Website contact form”.",
            "default_tag": "Given to new customers whose data carries no tag of its own.",
            "default_contact_source": "The source of contacts and accounts created through "
            "this listener.",
            "default_lead_source": "The source of leads created through this listener.",
            "email_body": "Template text: {{ name }}, {{ lastname }}, {{ title }}, "
            "{{ customerId }}, {{ email }}, {{ phone }}, {{ org }}.",
            "sms_text": "Template text, as the email body. Sent when the org can send SMS.",
            "rate_limit_per_minute": "Empty: no limit. New listeners start at "
            "CRMDP_LISTENER_RATE_LIMIT (600).",
        }
        widgets = {
            "email_body": forms.Textarea(attrs={"rows": 5}),
            "sms_text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, org: Org, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        for field in self.fields.values():
            # What is missing, too long or too small is the service's to say, so that
            # the page and `crmdp listener create` say it in the same words; the
            # browser still stops typing at the column's width (the maxlength attribute).
            field.required = False
            field.validators = [v for v in field.validators if not isinstance(v, _SERVICE_SAYS)]
        for name in ("default_contact_source", "default_lead_source"):
            choice = self.fields[name]
            assert isinstance(choice, forms.ModelChoiceField)
            # Only this org's sources are offered; another org's id is "not a valid choice".
            choice.queryset = CatalogItem.objects.filter(org=org, kind=CatalogKind.SOURCE).order_by(
                "name"
            )
            choice.empty_label = "— none —"

    def settings(self) -> ListenerSettings:
        """What was typed, as settings; a field the form could not read is left at its
        default, so that the service still checks all the others."""
        data = self.cleaned_data
        typed = {name: data[name] for name in SETTING_NAMES if name in data}
        typed.setdefault("name", "")
        return ListenerSettings(**typed, enabled=self.instance.enabled)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        problems = validate(self.settings(), org=self.org)
        show_problems(self, [p for p in problems if p.field not in self.errors])
        return cleaned or {}
