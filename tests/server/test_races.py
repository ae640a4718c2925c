"""SPEC §7: the matching rules hold under concurrency. Real clients race against a
real multi-process server (`crmdp serve`): PostgreSQL with 4 web processes, SQLite
with 2 sharing one file. Each test releases its requests through a barrier, many
rounds over, with new identities each round, and checks the HTTP answers and what
the read API then shows.
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from tests.server.conftest import Running
from tests.server.harness import Reply

pytestmark = pytest.mark.server

ROUNDS = 20
_phones = itertools.count(random.randrange(1_000_000, 8_000_000))


def new_email(word: str) -> str:
    return f"{word}-{secrets.token_hex(5)}@race.example"


def new_phone() -> str:
    """A fresh, valid Vietnamese mobile number (E.164)."""
    return f"+8490{next(_phones):07d}"


def person(
    name: str, emails: Sequence[str] = (), phones: Sequence[str] = (), **more: Any
) -> dict[str, Any]:
    return {
        "type": 0,
        "name": name,
        "emails": [{"value": email} for email in emails],
        "phones": [{"value": phone} for phone in phones],
        **more,
    }


def statuses(reply: Reply) -> list[str]:
    assert reply.status == 200, reply
    return [result["status"] for result in reply.body["results"]]


def only_result(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply
    (result,) = reply.body["results"]
    assert result["errors"] == [], result
    return dict(result)


def server_log(running: Running, since: int) -> str:
    """What the server logged since `since` ("" for a deployment started by hand,
    whose logs are not ours: its operator reads them)."""
    if running.server.log_path is None:
        return ""
    return running.server.log_path.read_text(errors="replace")[since:]


def assert_quiet_log(running: Running, since: int) -> None:
    """No request failed on the server side (no 500s, no 'database is locked'); a
    deadlock the server retried is logged at INFO and is not a failure."""
    log = server_log(running, since)
    for bad in ("Traceback", "database is locked", "ERROR"):
        assert bad not in log, log[-4000:]


def log_mark(running: Running) -> int:
    if running.server.log_path is None:
        return 0
    return len(running.server.log_path.read_text(errors="replace"))


def test_sixteen_identical_add_contacts_create_exactly_one_contact(race_server: Running):
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    for _ in range(ROUNDS):
        email, phone = new_email("same"), new_phone()
        call = site.call([("add-contact", person("Same Person", [email], [phone]))])
        replies = client.together([call] * 16)

        results = [only_result(reply) for reply in replies]
        assert Counter(result["status"] for result in results) == {"created": 1, "duplicate": 15}
        found = client.customers(site, email=email)
        assert len(found) == 1
        # Every duplicate names the one record that was created.
        assert {result["record"]["customerId"] for result in results} == {found[0]["customerId"]}
        assert {r["matchedOn"] for r in results if r["status"] == "duplicate"} == {"email"}
        assert len(client.customers(site, phone=phone)) == 1
    assert_quiet_log(race_server, mark)


def test_sixteen_add_contacts_sharing_one_phone_create_one_contact(race_server: Running):
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    for _ in range(ROUNDS):
        phone = new_phone()
        emails = [new_email(f"p{i}") for i in range(16)]
        calls = [
            site.call([("add-contact", person(f"Sharer {i}", [email], [phone]))])
            for i, email in enumerate(emails)
        ]
        results = [only_result(reply) for reply in client.together(calls)]

        assert Counter(result["status"] for result in results) == {"created": 1, "duplicate": 15}
        (found,) = client.customers(site, phone=phone)
        winner = next(i for i, result in enumerate(results) if result["status"] == "created")
        # The record is the winner's; the duplicates' emails were not added to it.
        assert [entry["value"] for entry in found["emails"]] == [emails[winner]]
        for i, email in enumerate(emails):
            if i != winner:
                assert client.customers(site, email=email) == []
    assert_quiet_log(race_server, mark)


def sequential_outcomes(requests: Sequence[set[str]]) -> set[tuple[str, ...]]:
    """Every add-contact outcome some one-at-a-time order of `requests` (each a set of
    identity keys) could give: a request whose keys meet an existing record's is a
    duplicate (and adds nothing), otherwise it creates a record with its keys."""
    outcomes = set()
    for order in itertools.permutations(range(len(requests))):
        records: list[set[str]] = []
        status = [""] * len(requests)
        for index in order:
            if any(requests[index] & record for record in records):
                status[index] = "duplicate"
            else:
                status[index] = "created"
                records.append(set(requests[index]))
        outcomes.add(tuple(status))
    return outcomes


def test_email_and_phone_racing_a_request_with_both_never_make_extra_records(
    race_server: Running,
):
    """A (email X), B (phone Y) and C (X and Y) at once: the outcome is one some
    sequential order gives: A and B create and C is a duplicate, or C creates and A
    and B are duplicates; never three records."""
    client, site = race_server.client(), race_server.site
    allowed = sequential_outcomes([{"x"}, {"y"}, {"x", "y"}])
    assert allowed == {("created", "created", "duplicate"), ("duplicate", "duplicate", "created")}
    mark = log_mark(race_server)
    seen: Counter[tuple[str, ...]] = Counter()
    triples_per_round = 4  # independent triples in the same burst: more races per second
    for _ in range(ROUNDS):
        identities = [(new_email("x"), new_phone()) for _ in range(triples_per_round)]
        calls = []
        for x, y in identities:
            calls += [
                site.call([("add-contact", person("Only Email", [x]))]),
                site.call([("add-contact", person("Only Phone", [], [y]))]),
                site.call([("add-contact", person("Both", [x], [y]))]),
            ]
        replies = client.together(calls)
        for number, (x, y) in enumerate(identities):
            results = [only_result(reply) for reply in replies[3 * number : 3 * number + 3]]
            outcome = tuple(result["status"] for result in results)
            assert outcome in allowed, results
            seen[outcome] += 1
            records = {c["customerId"] for c in client.customers(site, email=x)} | {
                c["customerId"] for c in client.customers(site, phone=y)
            }
            assert len(records) == outcome.count("created")
            assert {result["record"]["customerId"] for result in results} == records
    print(f"A/B/C outcomes over {ROUNDS * triples_per_round} triples: {dict(seen)}")
    assert_quiet_log(race_server, mark)


def test_concurrent_updates_of_one_contact_lose_no_change(race_server: Running):
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    records_per_round = 2
    for round_number in range(ROUNDS):
        targets = []
        for _ in range(records_per_round):
            email = new_email("upd")
            created = only_result(
                client.listener(site, [("add-contact", person("Updated", [email]))])
            )
            assert created["status"] == "created"
            targets.append((created["record"]["customerId"], email))

        changes: dict[str, dict[str, Any]] = {}
        calls = []
        for code, _ in targets:
            changes[code] = {
                "email": new_email("added"),
                "email2": new_email("added2"),
                "phone": new_phone(),
                "title": f"Title {round_number}",
                "tags": ["first-tag", "second-tag"],
            }
            wanted = changes[code]
            for data in (
                {"emails": [{"value": wanted["email"]}]},
                {"emails": [{"value": wanted["email2"]}]},
                {"phones": [{"value": wanted["phone"]}]},
                {"title": wanted["title"]},
                {"tag": "first-tag"},
                {"tag": ["second-tag"]},
            ):
                calls.append(site.call([("update-contact", {"customerId": code, **data})]))
        random.shuffle(calls)
        for reply in client.together(calls):
            assert only_result(reply)["status"] == "updated"

        for code, email in targets:
            stored = client.customer(site, code)
            wanted = changes[code]
            assert sorted(entry["value"] for entry in stored["emails"]) == sorted(
                [email, wanted["email"], wanted["email2"]]
            )
            assert [entry["e164"] for entry in stored["phones"]] == [wanted["phone"]]
            assert stored["title"] == wanted["title"]
            assert sorted(stored["tags"]) == ["first-tag", "second-tag"]
            updates = [line for line in stored["history"] if line["text"].startswith("Updated")]
            assert len(updates) == 6
            # The added keys find the record.
            assert [c["customerId"] for c in client.customers(site, email=wanted["email2"])] == [
                code
            ]
    assert_quiet_log(race_server, mark)


def test_a_batch_racing_single_requests_on_shared_keys_makes_no_duplicates(
    race_server: Running,
):
    """One request of many actions (new contacts, and updates of existing ones in one
    order) against single requests for the same contacts and multi-update requests
    in the opposite order: every answer is a 200 without errors (PostgreSQL's
    deadlock and serialization failures are retried inside the server), each
    identity ends up as exactly one record, and no update is lost."""
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    new_count, existing_count, rounds = 12, 4, ROUNDS // 2
    for _ in range(rounds):
        existing, existing_emails = [], []
        for i in range(existing_count):
            email = new_email("old")
            reply = client.listener(site, [("add-contact", person(f"Old {i}", [email]))])
            existing.append(only_result(reply)["record"]["customerId"])
            existing_emails.append(email)
        emails = [new_email("batch") for _ in range(new_count)]
        phones = [new_phone() for _ in range(new_count)]

        batch_actions: list[tuple[str, Any]] = [
            ("update-contact", {"customerId": c, "tag": "from-batch"}) for c in existing
        ]
        batch_actions += [
            ("add-contact", person(f"Batch {i}", [email], [phones[i]]))
            for i, email in enumerate(emails)
        ]
        calls = [site.call(batch_actions)]
        # The same people one by one, in the opposite order, found by phone this time.
        calls += [
            site.call([("add-contact", person(f"Single {i}", [], [phones[i]]))])
            for i in reversed(range(new_count))
        ]
        # The same records again in the opposite order: once by customerId, once by
        # email (other lock keys than the batch's, so only the row locks order them).
        calls.append(
            site.call(
                [
                    ("update-contact", {"customerId": c, "tag": "single-a"})
                    for c in reversed(existing)
                ]
            )
        )
        calls.append(
            site.call(
                [
                    ("update-contact", {"emails": [{"value": email}], "tag": "single-b"})
                    for email in reversed(existing_emails)
                ]
            )
        )
        replies = client.together(calls)

        for reply in replies:
            assert reply.status == 200, reply
            for result in reply.body["results"]:
                assert result["errors"] == [] and result["status"] != "error", result
        batch, singles = replies[0].body["results"][existing_count:], replies[1 : 1 + new_count]
        for i, email in enumerate(emails):
            (record,) = client.customers(site, phone=phones[i])
            assert [c["customerId"] for c in client.customers(site, email=email)] in (
                [record["customerId"]],
                [],  # the single request came first: the batch's email was a duplicate's
            )
            single = only_result(singles[new_count - 1 - i])
            assert {batch[i]["status"], single["status"]} == {"created", "duplicate"}
        for code in existing:
            assert sorted(client.customer(site, code)["tags"]) == [
                "from-batch",
                "single-a",
                "single-b",
            ]
    retries = server_log(race_server, mark).count("retrying")
    print(f"batch races: {rounds} rounds, {retries} retried transactions")
    assert_quiet_log(race_server, mark)


def test_duplicates_and_updates_crossing_the_same_records_never_deadlock(race_server: Running):
    """A request that repeats contact A (a duplicate: a history line on A) and then
    updates B, racing one that updates A and then B: the history line's reference to
    A must not have to wait for the other request's update of A. The server retries
    deadlocks, but each costs PostgreSQL's deadlock_timeout (1 s) first: none must
    happen here."""
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    pairs = 4
    for _ in range(ROUNDS):
        records = []
        for _ in range(2 * pairs):
            email = new_email("cross")
            reply = client.listener(site, [("add-contact", person("Cross", [email]))])
            records.append((only_result(reply)["record"]["customerId"], email))
        calls = []
        for (code_a, email_a), (code_b, email_b) in zip(records[::2], records[1::2], strict=True):
            calls.append(
                site.call(
                    [
                        ("add-contact", person("Cross again", [email_a])),
                        ("update-contact", {"emails": [{"value": email_b}], "tag": "by-email"}),
                    ]
                )
            )
            calls.append(
                site.call(
                    [
                        ("update-contact", {"customerId": code_a, "tag": "by-code"}),
                        ("update-contact", {"customerId": code_b, "tag": "by-code"}),
                    ]
                )
            )
        for reply in client.together(calls):
            assert statuses(reply) in (["duplicate", "updated"], ["updated", "updated"]), reply
        for index, (code, _) in enumerate(records):
            tags = sorted(client.customer(site, code)["tags"])
            assert tags == (["by-code"] if index % 2 == 0 else ["by-code", "by-email"])
    log = server_log(race_server, mark)
    assert "deadlock detected" not in log, log[-3000:]
    assert_quiet_log(race_server, mark)


def test_updates_naming_the_same_records_by_customer_id_in_opposite_orders_never_deadlock(
    race_server: Running,
):
    """[update A, update B] racing [update B, update A], all by customerId: the
    requests queue on the records' codes in one order instead of deadlocking on the
    rows (each deadlock would cost PostgreSQL's deadlock_timeout before a retry)."""
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    pairs = 4
    for _ in range(ROUNDS // 2):
        codes = []
        for _ in range(2 * pairs):
            reply = client.listener(site, [("add-contact", person("Pair", [new_email("pair")]))])
            codes.append(only_result(reply)["record"]["customerId"])
        calls = []
        for a, b in zip(codes[::2], codes[1::2], strict=True):
            calls.append(
                site.call(
                    [
                        ("update-contact", {"customerId": a, "tag": "forward"}),
                        ("update-contact", {"customerId": b, "tag": "forward"}),
                    ]
                )
            )
            calls.append(
                site.call(
                    [
                        ("update-contact", {"customerId": b, "tag": "backward"}),
                        ("update-contact", {"customerId": a, "tag": "backward"}),
                    ]
                )
            )
        for reply in client.together(calls):
            assert statuses(reply) == ["updated", "updated"], reply
        for code in codes:
            assert sorted(client.customer(site, code)["tags"]) == ["backward", "forward"]
    log = server_log(race_server, mark)
    assert "deadlock detected" not in log, log[-3000:]
    assert_quiet_log(race_server, mark)


def test_update_contact_racing_add_note_on_one_record_loses_nothing(race_server: Running):
    """add-note adds its tag to the customer while update-contact changes it: both
    changes survive (the record is locked for each write, not read and overwritten)."""
    client, site = race_server.client(), race_server.site
    mark = log_mark(race_server)
    for round_number in range(ROUNDS):
        email = new_email("noted")
        code = only_result(client.listener(site, [("add-contact", person("Noted", [email]))]))[
            "record"
        ]["customerId"]
        calls = [
            site.call([("update-contact", {"customerId": code, "tag": "from-update"})]),
            site.call([("update-contact", {"customerId": code, "title": f"T{round_number}"})]),
            site.call([("add-note", {"email": email, "body": "Called", "tag": "from-note"})]),
            site.call([("add-note", {"customerId": code, "body": "Again", "tag": "from-note-2"})]),
        ]
        random.shuffle(calls)
        assert sorted(only_result(reply)["status"] for reply in client.together(calls)) == [
            "created",
            "created",
            "updated",
            "updated",
        ]
        stored = client.customer(site, code)
        assert sorted(stored["tags"]) == ["from-note", "from-note-2", "from-update"]
        assert stored["title"] == f"T{round_number}"
        notes = client.get(f"/api/v1/customers/{code}/notes", token=site.owner_token)
        assert sorted(note["body"] for note in notes.body["results"]) == ["Again", "Called"]
    assert_quiet_log(race_server, mark)
