"""Every URL pattern of crmdp.urls, read from the resolver, so that a new page or
endpoint is covered by the security tests the day it is added."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    name: str  # "web:contact", "api-customer", …
    route: str  # "contacts/<str:code>/"
    callback: Callable[..., Any]

    def __str__(self) -> str:
        return self.name

    @property
    def parameters(self) -> dict[str, str]:
        """{name: converter}, in the order they appear."""
        return {m["name"]: m["converter"] or "str" for m in _PARAMETER.finditer(self.route)}

    def path(self, values: dict[str, object]) -> str:
        return "/" + _PARAMETER.sub(lambda m: str(values[m["name"]]), self.route)


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)
            yield Route(name, prefix + str(pattern.pattern), pattern.callback)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))
