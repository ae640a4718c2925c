"""A strict reader for request bodies: JSON that a naive service would choke on is
refused here, with the place it breaks, before any of it reaches the domain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class BodyError(Exception):
    """A body that cannot be read; `field` names where, when there is a where."""

    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


_MAX_NUMBER_DIGITS = 40


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not valid JSON (numbers must be finite)")


def _number(text: str) -> int | float:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise BodyError(f"a number of {len(text)} characters is too long")
    return int(text)


def _float(text: str) -> float:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise BodyError(f"a number of {len(text)} characters is too long")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BodyError(f"the number {text[:20]} is out of range")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BodyError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_json(
    body: bytes, *, max_depth: int, max_string: int, max_items: int | None = None
) -> Any:
    """Decode and parse `body`, or raise BodyError saying where and why. `max_items`
    bounds every array but the top-level `data` (the actions, limited apart)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BodyError(f"the body is not UTF-8 (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise BodyError("the body is empty; send a JSON object")
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_reject_constant,
            parse_int=_number,
            parse_float=_float,
        )
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise BodyError(f"the JSON is nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # int() limits and the like
        raise BodyError(f"invalid JSON: {exc}") from None
    _check(document, "", 0, _Limits(max_depth, max_string, max_items))
    return document


@dataclass(frozen=True)
class _Limits:
    depth: int
    string: int
    items: int | None


def _check(node: Any, path: str, depth: int, limits: _Limits) -> None:
    """Depth, list and string length, NUL and lone surrogates, in one walk."""
    if depth > limits.depth:
        raise BodyError(f"the JSON is nested deeper than {limits.depth} levels", path or None)
    if isinstance(node, dict):
        for key, value in node.items():
            _check_string(key, path or "(root)", limits.string, is_key=True)
            _check(value, f"{path}.{key}" if path else key, depth + 1, limits)
    elif isinstance(node, list):
        # A record with 50,000 phone numbers fits in a 1 MiB body and costs seconds
        # to read and match; no CRM record has that many of anything.
        if limits.items is not None and len(node) > limits.items and path != "data":
            raise BodyError(
                f"the list has {len(node)} items; at most {limits.items} are allowed", path
            )
        for index, value in enumerate(node):
            _check(value, f"{path}[{index}]", depth + 1, limits)
    elif isinstance(node, str):
        _check_string(node, path, limits.string)


def _check_string(text: str, path: str, max_string: int, *, is_key: bool = False) -> None:
    what = "a key" if is_key else "the value"
    if len(text) > max_string:
        raise BodyError(f"{what} is longer than {max_string} characters", path or None)
    if "\x00" in text:
        raise BodyError(f"{what} contains a NUL character", path or None)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(
            f"{what} contains a lone surrogate (invalid Unicode)", path or None
        ) from None
