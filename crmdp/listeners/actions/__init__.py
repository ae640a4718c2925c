"""The actions a listener accepts: the dispatch table from `actionType` to each
(one module per action type), and reading one item of a request into its action."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crmdp.lib.issues import ActionFailed, Issue, Warnings, join_path
from crmdp.listeners.actions.add_customer import AddContact, AddLead
from crmdp.listeners.actions.add_deal import AddDeal
from crmdp.listeners.actions.add_note import AddNote
from crmdp.listeners.actions.add_ticket import AddTicket
from crmdp.listeners.actions.base import ODD_VALUE, Action
from crmdp.listeners.actions.send_sms import SendSms
from crmdp.listeners.actions.update_customer import UpdateContact, UpdateLead
from crmdp.listeners.formats.submission import Unreadable
from crmdp.orgs.directory import OrgDirectory

log = logging.getLogger(__name__)

# The dispatch table: the one place that says which actions exist.
ACTIONS: dict[str, type[Action]] = {
    "add-contact": AddContact,
    "add-lead": AddLead,
    "update-contact": UpdateContact,
    "update-lead": UpdateLead,
    "add-deal": AddDeal,
    "add-note": AddNote,
    "add-ticket": AddTicket,
    "send-sms": SendSms,
}
ALLOWED_ACTIONS = ", ".join(ACTIONS)
_ITEM_KEYS = {"actionType", "data"}

__all__ = ["ACTIONS", "Action", "Planned", "plan"]


@dataclass
class Planned:
    """One action of the request: read (or refused while reading), ready to run."""

    index: int
    action_type: str | None
    warnings: Warnings
    action: Action | None = None
    failure: ActionFailed | None = None


def plan(index: int, item: Any, directory: OrgDirectory) -> Planned:
    """Read the request's `index`th item (`{"actionType": …, "data": {…}}`, or what a
    format could not read) into its action; a reading error becomes that action's
    failure, never the request's."""
    path = f"data[{index}]"
    warnings = Warnings()
    if isinstance(item, Unreadable):  # a format could not build this action
        issues = [Issue(join_path(path, issue.field), issue.message) for issue in item.issues]
        return Planned(index, item.action_type, warnings, failure=ActionFailed(*issues))
    if not isinstance(item, dict):
        failure = ActionFailed(Issue(path, "must be an object with actionType and data"))
        return Planned(index, None, warnings, failure=failure)
    action_type = item.get("actionType")
    if not isinstance(action_type, str) or action_type.strip() not in ACTIONS:
        message = (
            f"unknown actionType {action_type!r}; allowed: {ALLOWED_ACTIONS}"
            if action_type not in (None, "")
            else f"is required; allowed: {ALLOWED_ACTIONS}"
        )
        failure = ActionFailed(Issue(join_path(path, "actionType"), message))
        return Planned(
            index, action_type if isinstance(action_type, str) else None, warnings, failure=failure
        )
    action_type = action_type.strip()
    for key in item.keys() - _ITEM_KEYS:
        warnings.warn(join_path(path, key), "unknown field; ignored")
    try:
        action = ACTIONS[action_type](
            item.get("data"), directory, join_path(path, "data"), warnings
        )
    except ActionFailed as failure:
        return Planned(index, action_type, warnings, failure=failure)
    except ODD_VALUE as exc:
        # A value no reader foresaw (an overflow, a date past 9999): this action's
        # error, not a 500 for the whole request.
        log.warning("%s (%s): a value could not be read: %r", path, action_type, exc)
        odd = ActionFailed(Issue(join_path(path, "data"), "a value is out of range"))
        return Planned(index, action_type, warnings, failure=odd)
    return Planned(index, action_type, warnings, action=action)
