"""The benchmark's actions: add-contact, half of them duplicates of known customers."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

from bench.database import email_of, phone_of


@dataclass
class Identity:
    email: str
    phone: str


# Each Workload of this process gets its own block of new phone numbers, so that the
# warm-up, the measured run and the ceilings never send the same "new" phone twice
# (which the listener would rightly match as a duplicate). A run takes one block per
# client for the warm-up and three per client and slice (the product and the two
# ceilings): 8 clients and 4 slices take 104. Phones keep 8 digits after +8491.
_BLOCK = 250_000
_BLOCKS = 100_000_000 // _BLOCK
_STREAMS = itertools.count()


class Workload:
    """Deterministic per client: new customers are unique across clients and runs."""

    def __init__(self, client: int, preload: int, run_tag: str, seed: int = 7) -> None:
        self.client = client
        self.preload = preload
        self.tag = run_tag
        self.random = random.Random(seed * 1000 + client)
        self.created: list[Identity] = []
        self.counter = 0
        self.stream = next(_STREAMS)
        assert self.stream < _BLOCKS, "phone numbers would repeat: fewer clients or slices"

    def _new(self) -> Identity:
        self.counter += 1
        assert self.counter < _BLOCK, "phone numbers would repeat: a shorter run"
        n = self.stream * _BLOCK + self.counter
        return Identity(f"n{n}.{self.tag}@bench.example", f"+8491{n:08d}")

    def _known(self) -> Identity | None:
        if self.preload:
            n = self.random.randint(1, self.preload)
            return Identity(email_of(n), phone_of(n))
        if self.created:
            return self.random.choice(self.created)
        return None

    def action(self) -> dict[str, Any]:
        known = self._known() if self.random.random() < 0.5 else None
        if known is None:
            identity = self._new()
            self.created.append(identity)
            data = {
                "name": f"Bench {self.counter}",
                "lastname": "Client",
                "emails": [{"type": "Work", "value": identity.email}],
                "phones": [{"type": "Mobile", "value": identity.phone}],
            }
        elif self.random.random() < 0.5:  # a duplicate matched on email
            data = {"name": "Again", "emails": [{"value": known.email}]}
        else:  # a duplicate matched on phone
            data = {"name": "Again", "phones": [{"value": known.phone}]}
        return {"actionType": "add-contact", "data": data}
