"""The OpenAPI document of the listener endpoint and the read API, built from the
same pydantic models that validate requests and describe responses."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crmdp.api import schemas as out
from crmdp.listeners.actions import ACTIONS

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("ErrorOut"), description)


# Answered by the HTTP server (gunicorn) before the application sees the request.
_SERVER_LIMITS = {
    "414": {
        "description": "the request line is longer than the HTTP server accepts (4094 bytes)",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}


# Every bearer endpoint: a client address past CRMDP_API_BAD_TOKEN_LIMIT bad tokens.
_BAD_TOKENS: dict[str, Any] = {
    "429": {
        **_error("too many bad tokens from this address"),
        "headers": {
            "Retry-After": {
                "description": "seconds to wait",
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        },
    }
}


def _header(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "header", "description": description, "schema": schema}


def _path_param(name: str, kind: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _read(summary: str, schema: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [{"bearer": []}],
            "parameters": parameters,
            "responses": {
                "200": _json(_ref(schema), summary),
                "400": _error("bad query parameter"),
                "401": _error("missing or unknown token"),
                **_BAD_TOKENS,
                "404": _error("not found, or not visible to this user"),
                **_SERVER_LIMITS,
            },
        }
    }


@cache
def openapi_document() -> dict[str, Any]:
    request_models: list[type[BaseModel]] = [handler.schema for handler in ACTIONS.values()]
    response_models: list[type[BaseModel]] = [
        out.CustomerList,
        out.CustomerOut,
        out.DeliveryList,
        out.ErrorOut,
        out.ListenerResponse,
        out.NoteList,
        out.DealOut,
        out.DealList,
        out.TicketOut,
        out.MessageList,
    ]
    _, top = models_json_schema(
        [(m, "validation") for m in request_models]
        + [(m, "serialization") for m in response_models],
        ref_template=REF,
        by_alias=True,
    )
    components: dict[str, Any] = top["$defs"]
    components["ListenerRequest"] = {
        "type": "object",
        "required": ["senderUser", "data"],
        "properties": {
            "senderUser": {"type": "string", "description": "email of an active user of the org"},
            "data": {
                "type": "array",
                "items": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["actionType", "data"],
                            "properties": {
                                "actionType": {"const": name},
                                "data": _ref(handler.schema.__name__),
                            },
                        }
                        for name, handler in ACTIONS.items()
                    ]
                },
            },
        },
    }
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    page_params = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
        },
        {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CRM Data Platform",
            "version": "1",
            "description": "The webhook listener and the read API. See docs/listener.md.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/listener/{token}": {
                "post": {
                    "summary": "Send actions to a listener",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        _header(
                            "Idempotency-Key",
                            "repeats within 24 h with the same body get the first answer",
                            {"type": "string", "pattern": "^[\\x20-\\x7e]{1,200}$"},
                        ),
                        *(
                            _header(name, f"Standard Webhooks {name} (signed listeners)", schema)
                            for name, schema in (
                                ("webhook-id", {"type": "string", "maxLength": 200}),
                                ("webhook-timestamp", {"type": "string"}),
                                ("webhook-signature", {"type": "string"}),
                            )
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ListenerRequest")}},
                    },
                    "responses": {
                        "200": {
                            **_json(_ref("ListenerResponse"), "one result per action, in order"),
                            "headers": {
                                "Idempotent-Replayed": {
                                    "description": "`true` when this is a stored first answer",
                                    "schema": {"type": "string", "enum": ["true"]},
                                }
                            },
                        },
                        "400": _error(
                            "the body is not JSON, the envelope is incomplete, "
                            "or the Idempotency-Key is not printable ASCII"
                        ),
                        "401": _error("the listener requires signed requests"),
                        "403": _error("unknown sender or address not allowed"),
                        "404": _error("no such listener (or disabled)"),
                        "405": _error("only POST"),
                        "409": _error("the same Idempotency-Key is being processed; retry"),
                        "413": _error("body too large or too many actions"),
                        "422": _error("the Idempotency-Key was used with another body"),
                        "429": {
                            **_error("past the listener's rate limit, or too many unknown URLs"),
                            "headers": {
                                "Retry-After": {
                                    "description": "seconds to wait",
                                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                }
                            },
                        },
                        **_SERVER_LIMITS,
                    },
                }
            },
            "/api/v1/customers": {
                "get": {
                    "summary": "Find customers",
                    "security": bearer,
                    "parameters": [
                        *(
                            {"name": name, "in": "query", "schema": {"type": "string"}}
                            for name in ("email", "phone", "passport", "q")
                        ),
                        *page_params,
                    ],
                    "responses": {
                        "200": _json(_ref("CustomerList"), "customers, newest first"),
                        "400": _error("bad query parameter"),
                        "401": _error("missing or unknown token"),
                        **_BAD_TOKENS,
                        **_SERVER_LIMITS,
                    },
                }
            },
            "/api/v1/customers/{code}": {
                "get": {
                    "summary": "One customer by code (PID-, CID-, LID-)",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json(_ref("CustomerOut"), "the customer"),
                        "401": _error("missing or unknown token"),
                        **_BAD_TOKENS,
                        "404": _error("no such customer, or not visible to this user"),
                        **_SERVER_LIMITS,
                    },
                }
            },
            "/api/v1/customers/{code}/notes": _read(
                "A customer's notes, newest first",
                "NoteList",
                [_path_param("code", "string"), *page_params],
            ),
            "/api/v1/deals": _read(
                "Deals, newest first; `name` finds by name (any case)",
                "DealList",
                [{"name": "name", "in": "query", "schema": {"type": "string"}}, *page_params],
            ),
            "/api/v1/deals/{deal_id}": _read(
                "One deal by its dealId", "DealOut", [_path_param("deal_id", "integer")]
            ),
            "/api/v1/tickets/{code}": _read(
                "One ticket by its code (TID-n)", "TicketOut", [_path_param("code", "string")]
            ),
            "/api/v1/messages": _read(
                "Emails and SMS with status and attempts, newest first",
                "MessageList",
                [
                    {"name": "customer", "in": "query", "schema": {"type": "string"}},
                    *page_params,
                ],
            ),
            "/api/v1/listeners/{listener_id}/deliveries": {
                "get": {
                    "summary": "A listener's delivery log, newest first (owners and admins)",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "listener_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        *page_params,
                    ],
                    "responses": {
                        "200": _json(_ref("DeliveryList"), "deliveries"),
                        "400": _error("bad query parameter"),
                        "401": _error("missing or unknown token"),
                        **_BAD_TOKENS,
                        "404": _error("no such listener in this org"),
                        **_SERVER_LIMITS,
                    },
                }
            },
        },
    }
