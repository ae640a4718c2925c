"""The one shape every error and warning takes: the field it is about, and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    field: str  # a path into the request: "data[0].data.emails[1].value"
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class Warnings(list[Issue]):
    """The warnings gathered while one action is read and carried out: values that
    could not be used, each naming its field. The action still succeeds."""

    def warn(self, path: str, message: str) -> None:
        self.append(Issue(path, message))


class ActionFailed(Exception):
    """An action that cannot be carried out; nothing it did is kept."""

    def __init__(self, *issues: Issue) -> None:
        super().__init__("; ".join(f"{i.field}: {i.message}" for i in issues))
        self.issues = list(issues)


def fail(path: str, message: str) -> ActionFailed:
    return ActionFailed(Issue(path, message))


def join_path(base: str, *parts: str | int) -> str:
    """`join_path("data[0].data", "emails", 1, "value")` → `data[0].data.emails[1].value`."""
    path = base
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


class Invalid(ValueError):
    """A request (from the CLI, the UI or the API) that breaks a rule of the domain."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
