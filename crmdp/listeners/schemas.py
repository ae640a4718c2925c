"""The webhook contract: one pydantic model per action's `data`.

The models are strict about shape and lenient about spelling, as SPEC §3-4 ask:
`""` and `null` mean "not given", numbers may arrive as strings, a single object
may stand for a list of one. A value of the wrong shape is dropped with a warning
naming its field (the rest of the record is kept); a missing required field is the
only thing that fails an action. Unknown keys are warnings, never errors.

Over 400 lines on purpose: the whole webhook contract, every action's model and
the lenient types they share, in the order of the vendor guide, so the contract
is read (and reviewed against SPEC §3) in one place.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from crmdp.lib.issues import ActionFailed, Issue, Warnings, join_path
from crmdp.lib.values import read_tags

# -- lenient scalar types ---------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be a string, not true/false")
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip() or None


def _whole_number(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _one_of(*allowed: int) -> Any:
    def check(value: int | None) -> int | None:
        if value is not None and value not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}")
        return value

    return AfterValidator(check)


def _blank_to_none(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _listish(value: Any) -> Any:
    """A list of objects; a lone object, or a lone string meaning {"value": …}, is a list of one."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, dict):
        return [value]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [{"value": value}]
    if isinstance(value, list):
        return [
            {"value": item}
            if isinstance(item, str | int | float) and not isinstance(item, bool)
            else item
            for item in value
            if _blank_to_none(item) is not None
        ]
    return value


def _tags(value: Any) -> list[str] | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, str):
        return read_tags(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return read_tags(value)
    raise ValueError('must be a string like "tag_1, tag_2" or a list of strings')


def _strings(value: Any) -> list[str] | None:
    """A list of strings; a lone string (or number) is a list of one."""
    value = _blank_to_none(value)
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    texts = [_text(item) for item in items]
    return [text for text in texts if text]


def _country(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return {"name": str(value)}
    return value


def _scalar(value: Any) -> Any:
    """A JSON scalar (or a list of them), as a custom field or date value may be."""
    value = _blank_to_none(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return value
    raise ValueError("must be a string, a number or a list of them")


# json_schema_input_type: the OpenAPI document shows what senders may send (numbers
# as strings, "a, b" tags), not only the stricter shape the values are read into.
# Attribution (utm_*, click ids, an ad platform's campaign ids): a small flat object.
ATTRIBUTION_MAX_KEYS = 30
ATTRIBUTION_MAX_KEY = 64
ATTRIBUTION_MAX_VALUE = 500


def _attribution(value: Any) -> dict[str, str] | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError('must be an object such as {"utm_source": "google"}')
    if len(value) > ATTRIBUTION_MAX_KEYS:
        raise ValueError(f"at most {ATTRIBUTION_MAX_KEYS} keys")
    read: dict[str, str] = {}
    for key, item in value.items():
        if not key.strip() or len(key) > ATTRIBUTION_MAX_KEY:
            raise ValueError(f"keys are 1 to {ATTRIBUTION_MAX_KEY} characters")
        if isinstance(item, bool):
            item = "true" if item else "false"
        if item is None or item == "":
            continue
        if not isinstance(item, str | int | float):
            raise ValueError(f"{key}: must be a string or a number")
        text = str(item).strip()
        if len(text) > ATTRIBUTION_MAX_VALUE:
            raise ValueError(f"{key}: at most {ATTRIBUTION_MAX_VALUE} characters")
        if text:
            read[key.strip()] = text
    return read or None


Text = Annotated[str | None, BeforeValidator(_text, json_schema_input_type=str | float | None)]
WholeNumber = Annotated[
    int | None, BeforeValidator(_whole_number, json_schema_input_type=int | str | None)
]
Tags = Annotated[
    list[str] | None, BeforeValidator(_tags, json_schema_input_type=str | list[str] | None)
]
Strings = Annotated[
    list[str] | None, BeforeValidator(_strings, json_schema_input_type=str | list[str] | None)
]
Scalar = Annotated[Any, BeforeValidator(_scalar)]
Model = TypeVar("Model", bound="Payload")


class Payload(BaseModel):
    """Base of every payload model: camelCase names, unknown keys kept to be reported."""

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
    )
    # Fields an action cannot do without ("" and null count as missing).
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    # Fields the contract knows but this action does not use: no unknown-key warning,
    # and a short note instead, where the sender might expect them to have an effect.
    IGNORED: ClassVar[dict[str, str]] = {}


Listish = BeforeValidator(_listish)


def _list_of(item: Any) -> BeforeValidator:
    """Listish, documented as accepting one `item`, a string, or a list of them."""
    return BeforeValidator(_listish, json_schema_input_type=list[item | str] | item | str | None)


# -- customers ------------------------------------------------------------------------


class EmailIn(Payload):
    type: Text = None
    value: Text = None


class PhoneIn(Payload):
    type: Text = None
    value: Text = None


class CountryIn(Payload):
    code: Text = None
    name: Text = None


class AddressIn(Payload):
    type: Text = None
    street: Text = None
    city: Text = None
    state: Text = None
    zip: Text = None
    country: Annotated[
        CountryIn | None, BeforeValidator(_country, json_schema_input_type=CountryIn | str | None)
    ] = None


class ImIn(Payload):
    protocol: Text = None
    value: Text = None


class WebsiteIn(Payload):
    value: Text = None


class CustomFieldIn(Payload):
    name: Text = None
    value: Scalar = None


EmailList = Annotated[list[EmailIn] | None, _list_of(EmailIn)]
PhoneList = Annotated[list[PhoneIn] | None, _list_of(PhoneIn)]
AddressList = Annotated[list[AddressIn] | None, _list_of(AddressIn)]
ImList = Annotated[list[ImIn] | None, _list_of(ImIn)]
WebsiteList = Annotated[list[WebsiteIn] | None, _list_of(WebsiteIn)]
CustomFieldList = Annotated[list[CustomFieldIn] | None, _list_of(CustomFieldIn)]


def _permit(value: Any) -> Any:
    """A permit; anything but an object is taken as its status (`"permit": 2`), so
    that an unreadable one is read as unreadable, never as absent (SPEC §1)."""
    value = _blank_to_none(value)
    return value if value is None or isinstance(value, dict) else {"status": value}


def _permit_status(value: Any) -> Any:
    # Read by crmdp.orgs.permits.read_status: a status that cannot be read must not
    # be dropped here, which would make the permit "everybody".
    return _blank_to_none(value)


class PermitIn(Payload):
    status: Annotated[
        Any, BeforeValidator(_permit_status, json_schema_input_type=int | str | None)
    ] = None
    group: Text = None
    users: Strings = None


Permit = Annotated[
    PermitIn | None, BeforeValidator(_permit, json_schema_input_type=PermitIn | int | str | None)
]


class CustomerData(Payload):
    """A person, company or lead as every action sends it (SPEC §1, §4)."""

    customer_id: Text = None
    contact_id: Text = None
    contact_type: Text = None
    record_type: Annotated[WholeNumber, _one_of(0, 1)] = Field(None, alias="type")
    name: Text = None
    lastname: Text = None
    title: Text = None
    passport: Text = None
    gender: Annotated[WholeNumber, _one_of(0, 1, 2)] = None
    bg_info: Text = None
    date_of_birth: Scalar = None
    emails: EmailList = None
    phones: PhoneList = None
    addresses: AddressList = None
    im: ImList = None
    websites: WebsiteList = None
    tag: Tags = None
    cus_fields: CustomFieldList = None
    permit: Permit = None
    attribution: Annotated[
        dict[str, str] | None,
        BeforeValidator(_attribution, json_schema_input_type=dict[str, str] | None),
    ] = None

    IGNORED = {
        "source": "the source of a new customer is the listener's default source",
        "channel": "the source of a new customer is the listener's default source",
    }


class CompanyData(CustomerData):
    """`companyContact`: the account a contact belongs to."""


class ContactData(CustomerData):
    """add-contact and update-contact."""

    company_contact: CompanyData | None = None

    IGNORED = {
        **CustomerData.IGNORED,
        "companyLead": "companyLead is a lead's company; a contact's is companyContact",
    }


class AddContact(ContactData):
    REQUIRED = ("name",)


class UpdateContact(ContactData):
    pass


class LeadData(CustomerData):
    company_lead: Text = None

    IGNORED = {
        **CustomerData.IGNORED,
        "companyContact": "a lead's company is the text companyLead, not an account",
    }


class AddLead(LeadData):
    REQUIRED = ("name",)


class UpdateLead(LeadData):
    pass


# -- deals, notes, tickets, SMS -------------------------------------------------------


class OwnersIn(Payload):
    users: Strings = None
    groups: Strings = None


class DealCustomer(ContactData):
    """`dealWith` and each of `contacts`: found, or created as a new customer."""


class AddDeal(Payload):
    REQUIRED = ("name",)

    deal_id: Text = None
    name: Text = None
    value: Scalar = None
    currency: Text = None
    description: Text = None
    stage: Text = None
    close_date: Scalar = None
    category: Text = None
    package: Text = None
    owner_opportunity: OwnersIn | None = Field(None, alias="owner_opportunity")
    deal_with: DealCustomer | None = None
    contacts: Annotated[list[DealCustomer] | None, Listish] = None
    permit: Permit = None
    cus_fields: CustomFieldList = None


class AddNote(Payload):
    REQUIRED = ("body",)

    body: Text = None
    model: Text = None
    customer_id: Text = None
    contact_id: Text = None
    contact_type: Text = None
    passport: Text = None
    email: Text = None
    phone: Text = None
    deal_id: Text = None
    name: Text = None
    tag: Tags = None
    permit: Permit = None
    channel: Text = None


class AddTicket(Payload):
    REQUIRED = ("body",)

    body: Text = None
    title: Text = None
    contact_type: Text = None
    customer_id: Text = None
    contact_id: Text = None
    passport: Text = None
    email: Text = None
    phone: Text = None
    name: Text = None
    deal_id: Text = None
    group_name: Text = None
    sla_name: Text = None
    channel: Text = None
    tag: Tags = None
    cus_fields: CustomFieldList = None


class SendSms(Payload):
    REQUIRED = ("content",)  # and phones, or a customerId whose phones are used

    content: Text = None
    phones: Strings = None
    customer_id: Text = None


# -- reading a payload ----------------------------------------------------------------


def read_payload(model: type[Model], raw: Any, path: str, warnings: Warnings) -> Model:
    """Validate `raw` against `model`; drop what is unreadable, with a warning each.

    Raises ActionFailed when `raw` is not an object or a required field is missing.
    """
    if not isinstance(raw, dict):
        raise ActionFailed(Issue(path, "must be an object"))
    data = raw
    payload: Model | None = None
    # Each round drops every value pydantic could not read; nested drops can expose
    # nothing new, so two rounds suffice, but a bound keeps a bug from looping.
    for _ in range(5):
        try:
            payload = model.model_validate(data)
            break
        except ValidationError as exc:
            if data is raw:  # dropping values changes the data: never the caller's
                data = copy.deepcopy(raw)
            for error in exc.errors():
                location = tuple(error["loc"])
                warnings.warn(join_path(path, *location), f"{_reason(error)}; ignored")
                _drop(data, location)
    if payload is None:
        raise ActionFailed(Issue(path, "could not be read"))
    missing = [
        Issue(join_path(path, _alias(model, name)), "is required")
        for name in model.REQUIRED
        if getattr(payload, name) in (None, [])
    ]
    if missing:
        raise ActionFailed(*missing)
    _report_unknown_keys(payload, path, warnings)
    return payload


def _reason(error: Any) -> str:
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _drop(data: Any, location: tuple[Any, ...]) -> None:
    """Remove the value at `location` (a pydantic error location) from `data`."""
    parent = data
    for step in location[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = location[-1] if location else None
    in_dict = isinstance(parent, dict) and last in parent
    in_list = isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent)
    if in_dict or in_list:
        parent[last] = None


def _alias(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    return field.alias or name


def _report_unknown_keys(payload: BaseModel, path: str, warnings: Warnings) -> None:
    ignored = getattr(payload, "IGNORED", {})
    for key in payload.model_extra or {}:
        if key in ignored:
            warnings.warn(join_path(path, key), f"ignored: {ignored[key]}")
        else:
            warnings.warn(join_path(path, key), "unknown field; ignored")
    # Only the fields that can hold objects are looked into: a payload has dozens of
    # plain values, and a batch reads thousands of payloads.
    for name, alias in _nested_fields(type(payload)):
        value = getattr(payload, name)
        if isinstance(value, BaseModel):
            _report_unknown_keys(value, join_path(path, alias), warnings)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _report_unknown_keys(item, join_path(path, alias, index), warnings)


@cache
def _nested_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(name, alias) of `model`'s fields whose type names a model, alone or inside
    a list, an Optional or a union: the only ones whose values can have unknown keys."""
    return tuple(
        (name, field.alias or name)
        for name, field in model.model_fields.items()
        if _names_a_model(field.annotation)
    )


def _names_a_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_names_a_model(arg) for arg in get_args(annotation))
