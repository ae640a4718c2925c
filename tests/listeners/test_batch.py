"""The batch engine (crmdp/listeners/batch.py): a request's actions run in one
transaction without a savepoint each. An action that fails after writing rows of
its own cannot be undone that way, so the request is rolled back and run again
with a savepoint around each action. This sends such a request for real."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crmdp.customers.models import Customer, CustomerKey
from crmdp.deals.models import Deal
from crmdp.history.models import HistoryEntry
from crmdp.listeners.models import Delivery
from crmdp.messaging.models import Message
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import fields_of, new_deal, welcoming_poster


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def _savepoints(queries: CaptureQueriesContext) -> int:
    return sum(q["sql"].lstrip().upper().startswith("SAVEPOINT") for q in queries)


def test_an_action_failing_after_its_own_writes_is_undone_alone(guide_org, caplog):
    poster = welcoming_poster(guide_org)  # so that every new customer queues a message
    actions: list[tuple[str, Any]] = [
        ("add-contact", {"name": "Before", "emails": [{"value": "before@example.com"}]}),
        # A deal links its customers as rows: its dealWith is inserted at once, and
        # only then is its new contact found to have no name.
        (
            "add-deal",
            new_deal(
                dealWith={"name": "Ghost", "emails": [{"value": "ghost@example.com"}]},
                contacts=[{"emails": [{"value": "nameless@example.com"}]}],
            ),
        ),
        ("add-contact", {"name": "Again", "emails": [{"value": "before@example.com"}]}),
        ("add-contact", {"name": "After", "emails": [{"value": "after@example.com"}]}),
    ]

    with (
        caplog.at_level(logging.INFO, "crmdp.listeners.batch"),
        CaptureQueriesContext(connection) as queries,
    ):
        results = poster.actions(*actions)

    # The fallback really ran: the request again, with a savepoint around each action.
    assert "savepoint per action" in caplog.text
    assert _savepoints(queries) >= 2 + len(actions)
    # What the sender sees: the failing action's error, the others applied.
    assert [r["status"] for r in results] == ["created", "error", "duplicate", "created"]
    assert fields_of(results[1]["errors"]) == ["data[1].data.contacts[0].name"]
    assert results[2]["record"]["id"] == results[0]["record"]["id"]
    # Nothing of the failed action is left, and nothing of the others is doubled.
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["After", "Before"]
    assert not Deal.objects.exists()
    assert not CustomerKey.objects.filter(key__contains="ghost").exists()
    assert not CustomerKey.objects.filter(key__contains="nameless").exists()
    assert not HistoryEntry.objects.filter(text__contains="Ghost").exists()
    assert Customer.objects.get(name="Before").history.count() == 2  # created, arrived again
    assert sorted(Message.objects.values_list("to", flat=True)) == [
        "after@example.com",
        "before@example.com",
    ]
    assert Delivery.objects.get().outcomes == {"created": 2, "error": 1, "duplicate": 1}
