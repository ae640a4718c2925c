"""The listener's settings form (SPEC §2): its fields come from the `Listener` model,
its rules from `crmdp.listeners.services.validate()`, which `crmdp listener create`
runs too; so a rule, and its words, are written once for the page and the command."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator, MinValueValidator

from crmdp.lib.issues import Invalid
from crmdp.listeners.format_settings import DEFAULT_FORM_FIELDS, FORM_FIELD_LABELS
from crmdp.listeners.formats.mapped import parse_map
from crmdp.listeners.models import Creates, Format, Listener
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


class Lines(AddressLines):
    """One entry per line (commas separate too): hosts, origins."""

    def __init__(self, *, placeholder: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget = forms.Textarea(attrs={"rows": 2, "placeholder": placeholder})


class CommaList(forms.Field):
    """The hosted form's fields: names separated by commas."""

    widget = forms.TextInput(attrs={"placeholder": ",".join(DEFAULT_FORM_FIELDS)})

    def prepare_value(self, value: Any) -> Any:
        return ",".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class FieldMap(forms.Field):
    """A mapped listener's map: one TARGET=PATH per line. Its rules are the service's
    (crmdp.listeners.formats.mapped.parse_map), as for `--map`."""

    widget = forms.Textarea(
        attrs={"rows": 4, "placeholder": "email=contact.emails.0\nfirstName=contact.first"}
    )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{target}={path}" for target, path in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str]:
        try:
            return parse_map((value or "").splitlines())
        except Invalid as problem:
            raise forms.ValidationError(problem.message) from None


class ListenerSettingsForm(forms.ModelForm):
    """The settings of a webhook listener, in the vendor guide's order. Saved through
    `listener_create` / `listener_update` (never `save()`), which check them again."""

    allowed_ips = AddressLines(
        label="Allowed IPs",
        required=False,
        help_text="One address or CIDR range per line. Empty: requests from anywhere.",
    )
    redirect_hosts = Lines(
        label="Allowed redirect hosts",
        required=False,
        placeholder="shop.example",
        help_text="Hosts a form's _next field may send the browser to (one per line).",
    )
    embed_origins = Lines(
        label="Embed origins",
        required=False,
        placeholder="https://shop.example",
        help_text="Sites that may show the hosted form in a frame and post to it from "
        "their own JavaScript (one origin per line).",
    )
    form_fields = CommaList(
        label="Hosted form fields",
        required=False,
        help_text="Comma-separated; empty: "
        + ",".join(DEFAULT_FORM_FIELDS)
        + ". Known: "
        + ", ".join(FORM_FIELD_LABELS)
        + "; any other name is a text box (a custom field "
        "of the same label, else a line of the note).",
    )
    field_map = FieldMap(
        label="Field map",
        required=False,
        help_text="mapped: TARGET=PATH per line; targets firstName, lastName, name, email, "
        "phone, companyName, title, street, city, zip, country, note, attribution.<key>, "
        "custom.<field label>; paths are dotted, numbers index lists.",
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
            "creates": "A submission creates",
            "redirect_url": "Redirect URL",
            "format_secret": "Secret",
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
            "format": "How bodies are read: actions (our JSON), form (HTML form posts), "
            "google-ads (lead form webhook), typeform (form_response webhook), mapped "
            "(any JSON, through the field map).",
            "creates": "For every format but actions.",
            "redirect_url": "form: where a browser goes after sending (else a small "
            "thank-you page).",
            "format_secret": "google-ads: the key in the lead form's webhook settings; "
            "typeform: the webhook's secret. Empty: kept, or made up for a new one.",
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
        # Not chosen (a page without the Format section): the model's defaults.
        typed["format"] = typed.get("format") or Format.ACTIONS
        typed["creates"] = typed.get("creates") or Creates.LEAD
        return ListenerSettings(**typed, enabled=self.instance.enabled)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        problems = validate(self.settings(), org=self.org)
        show_problems(self, [p for p in problems if p.field not in self.errors])
        return cleaned or {}
