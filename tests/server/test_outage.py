"""A lost database answers 503 with Retry-After, never 500 (issue 13, point 9)."""

from __future__ import annotations

import pytest

from tests.server.conftest import Deploy
from tests.server.harness import POSTGRESQL, Call, run_engine

pytestmark = pytest.mark.server


def test_a_lost_database_gives_503_with_retry_after_and_recovers(deploy: Deploy):
    # On SQLite the outage is a file that cannot be opened, which only new
    # connections meet: each request opens its own here. PostgreSQL cuts them all.
    env = deploy() if run_engine() == POSTGRESQL else deploy(CRMDP_CONN_MAX_AGE="0")
    site = env.provision()
    client = env.serve(processes=1).client()
    assert client.listener(site, [("add-contact", {"name": "Before"})]).status == 200
    # A page that reads the database: the session behind a cookie is looked up.
    page_call = Call("GET", "/", None, (("Cookie", "sessionid=abcdefghijklmnopqrstuvwxyz012345"),))
    assert client.send(page_call).status == 302  # no such session: to the login page

    env.database.block(env.data_dir)
    try:
        posted = client.listener(site, [("add-contact", {"name": "During"})])
        read = client.get("/api/v1/customers", site.owner_token)
        page = client.send(page_call)
        for reply in (posted, read, page):
            assert reply.status == 503, reply
            assert reply.headers["Retry-After"] == "30"
        assert posted.body["error"]["code"] == "unavailable"
        assert read.body["error"]["code"] == "unavailable"
        # Nothing about the database (its name, host or user) is told to the client.
        assert env.database.name not in str(posted.body) + str(read.body) + str(page.body)
    finally:
        env.database.unblock(env.data_dir)

    assert client.listener(site, [("add-contact", {"name": "After"})]).status == 200
    names = {customer["name"] for customer in client.customers(site)}
    assert names == {"Before", "After"}
