"""Codes count per org (SPEC §1): every org's first contact is PID-1, and no code is
given twice or skipped, however many requests race. Real clients send two orgs'
creating requests all at once to a real multi-process `crmdp serve`, on a file
SQLite database and on PostgreSQL, whatever engine the run is on.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.server.conftest import RACE_PROCESSES, Deploy
from tests.server.harness import ENGINES, Site

pytestmark = pytest.mark.server

PER_ORG = 10  # requests per org in one burst
ROUNDS = 2


def creating_call(site: Site, word: str) -> Any:
    """One request numbering a record in every series: a contact, a lead, a ticket
    and a deal (with the contact, found by its email)."""
    email = f"{word}@numbering.example"
    return site.call(
        [
            ("add-contact", {"name": word, "emails": [{"value": email}]}),
            ("add-lead", {"name": f"Lead {word}", "emails": [{"value": f"lead-{email}"}]}),
            ("add-ticket", {"body": f"Help {word}", "email": email}),
            (
                "add-deal",
                {
                    "name": f"Deal {word}",
                    "stage": "New",
                    "dealWith": {"name": word, "emails": [{"value": email}]},
                },
            ),
        ]
    )


def codes(results: list[dict[str, Any]]) -> dict[str, Any]:
    assert [r["status"] for r in results] == ["created"] * 4, results
    assert all(r["errors"] == [] for r in results), results
    contact, lead, ticket, deal = (r["record"] for r in results)
    return {
        "PID": contact["customerId"],
        "LID": lead["customerId"],
        "TID": ticket["code"],
        "deal": deal["id"],
        "ticket customer": results[2]["related"][0]["customerId"],
        "deal customer": results[3]["related"][0]["customerId"],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_racing_requests_number_each_org_from_one_without_gaps_or_repeats(
    deploy: Deploy, engine: str
) -> None:
    env = deploy(engine, LOG_LEVEL="INFO")
    sites = [
        env.provision("Numbering A", "a@org.example"),
        env.provision("Numbering B", "b@org.example"),
    ]
    for site in sites:
        env.cli("catalog", "add", "--org", str(site.org_id), "stage", "New", "--json")
    server = env.serve(processes=RACE_PROCESSES[engine])
    client = server.client()

    seen: dict[int, list[dict[str, Any]]] = {site.org_id: [] for site in sites}
    for round_ in range(ROUNDS):
        burst = [
            (site, creating_call(site, f"r{round_}-o{site.org_id}-{i}"))
            for site in sites
            for i in range(PER_ORG)
        ]
        random.shuffle(burst)
        replies = client.together([call for _, call in burst])
        for (site, _), reply in zip(burst, replies, strict=True):
            assert reply.status == 200, reply
            seen[site.org_id].append(codes(reply.body["results"]))

    everything = ROUNDS * PER_ORG
    for site in sites:
        found = seen[site.org_id]
        # Each org: 1 … n in every series, each once.
        assert sorted(int(c["PID"].removeprefix("PID-")) for c in found) == list(
            range(1, everything + 1)
        )
        assert sorted(int(c["LID"].removeprefix("LID-")) for c in found) == list(
            range(1, everything + 1)
        )
        assert sorted(int(c["TID"].removeprefix("TID-")) for c in found) == list(
            range(1, everything + 1)
        )
        assert sorted(c["deal"] for c in found) == list(range(1, everything + 1))
        # The ticket and the deal found the request's own contact by its email.
        assert all(c["ticket customer"] == c["deal customer"] == c["PID"] for c in found)
        # And each code reads back, in its own org, as the record it was given to.
        sample = random.choice(found)
        record = client.customer(site, sample["PID"])
        assert record["customerId"] == sample["PID"]
    # The counters stand where the numbers stopped: the next contact follows on.
    after = client.send(sites[0].call([("add-contact", {"name": "Next"})]))
    assert after.body["results"][0]["record"]["customerId"] == f"PID-{everything + 1}"
    log = server.log(last=1_000_000)
    for bad in ("Traceback", "database is locked", "ERROR"):
        assert bad not in log, log[-4000:]
