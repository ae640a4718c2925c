"""Keyset pagination, newest first: `?limit=50&cursor=<id>` pages through any
number of rows at the cost of one index range scan per page."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict

from crmdp.lib.issues import Issue

M = TypeVar("M", bound=Model)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class BadQuery(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _int_param(request: HttpRequest, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(Issue(name, "must be a whole number")) from None
    if value < 1:
        raise BadQuery(Issue(name, "must be at least 1"))
    return value


def page(request: HttpRequest, queryset: QuerySet[M]) -> tuple[list[M], str | None]:
    """One page of `queryset` (newest first) and the URL of the next, if any."""
    limit = min(_int_param(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    cursor = _int_param(request, "cursor", None)
    if cursor is not None:
        queryset = queryset.filter(id__lt=cursor)
    rows = list(queryset.order_by("-id")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    params: QueryDict = request.GET.copy()
    params["cursor"] = str(rows[-1].pk)
    params["limit"] = str(limit)
    return rows, request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def listing(rows: list[Any], next_url: str | None) -> dict[str, Any]:
    return {"results": rows, "next": next_url}
