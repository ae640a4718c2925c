"""Requests generated from the served OpenAPI document (schemathesis) against a real
`crmdp serve`: none may get a 5xx, and every answer must be one the document
describes (status code, content type, body schema).

The regular suite runs 500 cases. The long run is

    CRMDP_FUZZ_CASES=10000 scripts/fuzz.sh

(see docs/security.md), which prints the same summary line.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.live import LiveServer, Tenant

CASES = int(os.environ.get("CRMDP_FUZZ_CASES", "500"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.cases} generated requests, {server_errors} answered 5xx, "
            f"{len(self.failures)} failed a check ({statuses})"
        )


def _run_operation(
    operation: Any,
    mode: GenerationMode,
    fixed_path: dict[str, Any],
    examples: int,
    tenant: Tenant,
    base: str,
    tally: Tally,
) -> None:
    names = {parameter.name for parameter in operation.path_parameters}
    path_parameters = {name: value for name, value in fixed_path.items() if name in names}
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path_parameters,
        headers={"Authorization": f"Bearer {tenant.api_token}"},
    )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # every run explores afresh; failures are reported with a curl line
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,  # an operation with nothing to negate is not a failure
    )
    @given(strategy)
    def one(case: Any) -> None:
        # Most generated bodies come from the owner, so the actions themselves run
        # (a random senderUser is refused before any action is read).
        if mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
            case.body["senderUser"] = tenant.owner
        response = case.call(base_url=base, timeout=30)
        tally.cases += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # kept; the run goes on
            tally.failures.append(f"{operation.label} [{mode.value}]: {failure}")

    try:
        one()
    except Unsatisfiable:
        # Nothing about this operation can be invalid once its path is fixed (a
        # free-text query parameter takes any string): no negative cases exist.
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.mark.server
def test_generated_requests_get_no_5xx_and_only_documented_answers(
    served: LiveServer, demo: Tenant
) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # the listener and every read endpoint
    secret = {"token": demo.listener_token, "listener_id": demo.listener_id}
    ticket = next(r["code"] for r in demo.records if r["type"] == "ticket")
    deal = next(r["id"] for r in demo.records if r["type"] == "deal")
    contact = next(r["customerId"] for r in demo.records if r["type"] == "contact")
    real = {**secret, "code": contact, "deal_id": deal}

    def fixed_for(operation: Any, fixed: dict[str, Any]) -> dict[str, Any]:
        if "tickets" in operation.path and "code" in fixed:
            return {**fixed, "code": ticket}
        return fixed

    # Three passes per operation: generated values; real records' codes in the path
    # (so full records are held to their schemas); and values that break the schema.
    passes = [
        (GenerationMode.POSITIVE, secret),
        (GenerationMode.POSITIVE, real),
        (GenerationMode.NEGATIVE, secret),
    ]
    runs = [
        (operation, mode, fixed_for(operation, fixed))
        for operation in operations
        for mode, fixed in passes
    ]
    tally = Tally()
    for done, (operation, mode, fixed) in enumerate(runs):
        # What a pass with few possible cases leaves unused goes to the next ones.
        examples = max(1, (CASES - tally.cases) // (len(runs) - done))
        _run_operation(operation, mode, fixed, examples, demo, served.base, tally)
    print(tally.summary())
    assert not tally.failures, "\n\n".join([tally.summary(), *tally.failures[:10]])
    assert tally.cases >= CASES * 0.9, tally.summary()
