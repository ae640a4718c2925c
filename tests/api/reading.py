"""Reading deals, tickets, notes, messages and customers through the read API,
each response held to its pydantic model (extra keys forbidden)."""

from __future__ import annotations

from typing import Any

from crmdp.api.schemas import (
    CustomerOut,
    DealList,
    DealOut,
    ErrorOut,
    MessageList,
    NoteList,
    TicketOut,
)
from tests.conftest import Api


def _ok(api: Api, path: str, **params: Any) -> Any:
    response = api.get(path, **params)
    assert response.status == 200, response
    return response.json


def deal(api: Api, deal_id: int) -> DealOut:
    return DealOut.model_validate(_ok(api, f"/api/v1/deals/{deal_id}"))


def deals_named(api: Api, name: str | None = None) -> DealList:
    params = {"name": name} if name is not None else {}
    return DealList.model_validate(_ok(api, "/api/v1/deals", **params))


def ticket(api: Api, code: str) -> TicketOut:
    return TicketOut.model_validate(_ok(api, f"/api/v1/tickets/{code}"))


def notes(api: Api, code: str) -> NoteList:
    return NoteList.model_validate(_ok(api, f"/api/v1/customers/{code}/notes"))


def messages(api: Api, customer: str | None = None) -> MessageList:
    params = {"customer": customer} if customer is not None else {}
    return MessageList.model_validate(_ok(api, "/api/v1/messages", **params))


def customer(api: Api, code: str) -> CustomerOut:
    return CustomerOut.model_validate(_ok(api, f"/api/v1/customers/{code}"))


def not_found(api: Api, path: str, **params: Any) -> ErrorOut:
    """Asserts a 404 in the API's error shape (nothing about the record leaks)."""
    response = api.get(path, **params)
    assert response.status == 404, response
    error = ErrorOut.model_validate(response.json)
    assert error.error.code == "not_found"
    return error
