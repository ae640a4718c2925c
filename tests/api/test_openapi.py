"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the listener and the API."""

from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from crmdp.listeners.actions import ACTIONS
from tests.conftest import SAMPLES, sample


@pytest.fixture
def document(db) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def test_it_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # against the OpenAPI 3.1 specification's own schema


def conforms(document: dict[str, Any], model: str, instance: Any) -> None:
    """`instance` fits the document's schema `model` (the document describes reality)."""
    schema = {"$ref": f"#/components/schemas/{model}", "components": document["components"]}
    Draft202012Validator(schema).validate(instance)


def test_it_lists_the_listener_endpoint_and_the_api_paths(document):
    paths = document["paths"]
    assert "post" in paths["/listener/{token}"]
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{code}",
        "/api/v1/listeners/{listener_id}/deliveries",
    ):
        assert "get" in paths[path], path
        assert paths[path]["get"]["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_listener_request_names_every_action(document):
    request = document["components"]["schemas"]["ListenerRequest"]
    choices = request["properties"]["data"]["items"]["oneOf"]
    assert {choice["properties"]["actionType"]["const"] for choice in choices} == set(ACTIONS)


def test_the_listener_answers_are_documented(document):
    responses = document["paths"]["/listener/{token}"]["post"]["responses"]
    assert {"200", "400", "403", "404", "405", "413"} <= set(responses)


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    found = refs(document)
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_path_parameters_are_declared(document):
    for path, operations in document["paths"].items():
        declared = {
            p["name"]
            for operation in operations.values()
            for p in operation.get("parameters", [])
            if p["in"] == "path"
        }
        named = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert declared == named, path


def test_the_document_needs_no_token(db):
    assert Client().get("/api/v1/openapi.json").status_code == 200


def test_real_answers_fit_the_documented_schemas(document, post, listener, owner_api):
    body = sample("add-contact")
    body["data"][0]["data"]["companyContact"] = {"name": "GOOGLE"}
    body["data"].append({"actionType": "add-banana", "data": {}})
    answer = post(body)
    conforms(document, "ListenerResponse", answer.json)
    conforms(
        document,
        "ErrorOut",
        post.raw((SAMPLES / "broken-update-lead-from-guide.json").read_bytes()).json,
    )
    customers = owner_api.get("/api/v1/customers").json
    conforms(document, "CustomerList", customers)
    conforms(document, "CustomerOut", customers["results"][0])
    log = owner_api.get(f"/api/v1/listeners/{listener.id}/deliveries").json
    conforms(document, "DeliveryList", log)


def test_request_samples_fit_the_documented_listener_request(document):
    for name in ("add-contact", "add-lead", "update-contact", "update-lead"):
        conforms(document, "ListenerRequest", sample(name))


def test_the_documented_request_allows_what_spec_allows(document):
    lenient = {
        "senderUser": "a@b.co",
        "data": [
            {
                "actionType": "add-contact",
                "data": {
                    "name": "Lan",
                    "type": "1",
                    "gender": "0",
                    "tag": "a, b",
                    "emails": {"value": "lan@example.com"},
                    "phones": ["0905000001"],
                    "addresses": [{"country": {"code": "VN", "name": "Vietnam"}}],
                    "unknownKey": True,
                },
            }
        ],
    }
    conforms(document, "ListenerRequest", lenient)
