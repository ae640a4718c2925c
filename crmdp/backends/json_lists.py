"""Reading inside a JSON list column, which each engine spells its own way."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Field, Model
from django.db.models.expressions import RawSQL


def has_text_ignoring_case(model: type[Model], field: str, text: str) -> RawSQL:
    """A condition: the row's JSON list `field` holds `text`, in any case."""
    quote = connection.ops.quote_name
    found = model._meta.get_field(field)
    assert isinstance(found, Field)
    column = f"{quote(model._meta.db_table)}.{quote(found.column)}"
    if connection.vendor == "postgresql":
        elements = f"jsonb_array_elements_text({column}) AS element(value)"
        value = "element.value"
    else:
        elements = f"json_each({column})"
        value = "json_each.value"
    sql = f"EXISTS (SELECT 1 FROM {elements} WHERE lower({value}) = lower(%s))"
    return RawSQL(sql, [text], output_field=BooleanField())
