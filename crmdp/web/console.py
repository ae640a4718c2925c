"""The test console's ready-made requests: the vendor guide's samples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import crmdp.listeners
from crmdp.listeners.actions import ACTIONS

SAMPLES = Path(crmdp.listeners.__file__).parent / "samples"


@dataclass(frozen=True)
class Sample:
    name: str  # the file's name: add-contact
    label: str  # what the console's list shows: Add contact
    body: str  # the request, sent by the logged-in user


def console_samples(sender: str) -> list[Sample]:
    """The guide's sample requests that this server can run, sent as `sender`.

    A sample naming an action this server does not have yet is left out (it
    appears once its action exists); one that is not even JSON, as the guide
    printed it, is offered as is, to show how such a request is answered.
    """
    samples = []
    for path in sorted(SAMPLES.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        label = path.stem.replace("-", " ").capitalize()
        try:
            document = json.loads(text)
        except ValueError:
            samples.append(Sample(path.stem, f"{label} (invalid JSON)", text))
            continue
        action_types = {item.get("actionType") for item in document.get("data", [])}
        if not action_types <= ACTIONS.keys():
            continue
        document["senderUser"] = sender
        samples.append(Sample(path.stem, label, json.dumps(document, indent=2, ensure_ascii=False)))
    # The most common request first: it is what a first test should send.
    samples.sort(key=lambda sample: sample.name != "add-contact")
    return samples
