"""Reading custom field values by their definition's type (SPEC §4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmdp.lib.issues import Warnings, join_path
from crmdp.lib.locales import DEFAULT, Conventions
from crmdp.lib.values import name_key, read_date, read_decimal
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CustomFieldDefinition, FieldType

MULTI_VALUED = (FieldType.CHECKBOX, FieldType.INLINE_CHECKBOX)


def read_custom_value(
    definition: CustomFieldDefinition, raw: Any, conventions: Conventions = DEFAULT
) -> tuple[Any, str | None]:
    """The value to store, or None and the reason it does not fit the field. A value
    read by a guess (`50,000`, `01/02/1993`) comes with the reason to warn."""
    kind = definition.field_type
    choices = {str(choice).casefold(): str(choice) for choice in definition.choices or []}
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    if kind == FieldType.NUMBER:
        number = read_decimal(raw, conventions)
        if number.value is None:
            return None, "not a number"
        return str(number.value), number.problem
    if kind == FieldType.DATE:
        # Stored as an ISO 8601 calendar date whatever came in (SPEC §4).
        day = read_date(raw, conventions)
        if day.value is None:
            return None, "not a date (use ISO 8601, e.g. 2019-07-08)"
        return day.value.isoformat(), day.problem
    if kind in MULTI_VALUED:
        parts = raw if isinstance(raw, list) else str(raw).split("|")
        values = [str(part).strip() for part in parts if str(part).strip()]
        if choices:
            unknown = [v for v in values if v.casefold() not in choices]
            if unknown:
                return (
                    None,
                    f"{', '.join(map(repr, unknown))} not among the choices {_list(choices)}",
                )
            values = [choices[v.casefold()] for v in values]
        return list(dict.fromkeys(values)), None
    if isinstance(raw, list):
        return None, "takes one value, not a list"
    text = str(raw).strip()
    if kind == FieldType.SELECT and choices:
        if text.casefold() not in choices:
            return None, f"{text!r} is not among the choices {_list(choices)}"
        return choices[text.casefold()], None
    return text, None


def _list(choices: dict[str, str]) -> str:
    return ", ".join(repr(choice) for choice in choices.values())


def read_custom_fields(
    items: Sequence[Any] | None,
    record_type: str,
    directory: OrgDirectory,
    path: str,
    warnings: Warnings,
) -> dict[str, Any]:
    """`cusFields` as {definition id: value}; unknown names and misfits are warnings."""
    values: dict[str, Any] = {}
    definitions = directory.custom_fields(record_type)
    for index, item in enumerate(items or []):
        where = join_path(path, index)
        if not item.name:
            warnings.warn(join_path(where, "name"), "a custom field needs a name; skipped")
            continue
        definition = definitions.get(name_key(item.name))
        if definition is None:
            known = ", ".join(repr(d.name) for d in definitions.values()) or "none"
            warnings.warn(
                join_path(where, "name"),
                f"no {record_type} custom field named {item.name!r} (known: {known}); skipped",
            )
            continue
        if item.value is None:
            continue
        value, problem = read_custom_value(definition, item.value, directory.org.conventions)
        if value is None:
            warnings.warn(join_path(where, "value"), f"{definition.name}: {problem}; skipped")
            continue
        if problem:  # read, by a guess the sender should know about
            warnings.warn(join_path(where, "value"), f"{definition.name}: {problem}")
        values[str(definition.id)] = value
    return values
