"""History tells the whole story (issue 14, item 10): every line a listener request
writes, on any record, names the listener and the sender."""

from crmdp.history.models import HistoryEntry
from tests.conftest import SENDER, sample_action
from tests.listeners.guide_org import set_up_guide_org


def test_every_line_written_through_a_listener_names_it_and_the_sender(org, post):
    set_up_guide_org(org)
    contact = sample_action("add-contact")
    contact["companyContact"] = {"name": "HTK Labs"}
    deal = sample_action("add-deal")
    deal["dealWith"].update(contactType="customer", customerId="")
    deal["dealWith"]["companyContact"] = {"name": "GOOGLE"}
    move = sample_action("update-contact")
    move["customerId"] = ""  # found by passport; companyContact moves Huy to GOOGLE
    move["companyContact"]["customerId"] = ""
    results = post.actions(
        ("add-contact", contact),
        ("add-contact", contact),  # a duplicate: a line on the existing record
        ("add-lead", sample_action("add-lead")),
        ("add-deal", deal),
        ("update-contact", move),
        ("update-lead", sample_action("update-lead")),
        ("add-note", {"body": "Called", "passport": "1945295865"}),
        ("add-note", {"body": "Paid", "model": "deal", "name": deal["name"]}),
        ("add-ticket", {**sample_action("add-ticket"), "customerId": ""}),
        ("send-sms", {"content": "Hi", "phones": ["0905 000 001"]}),
    )
    assert [r["status"] for r in results] == [
        "created",
        "duplicate",
        "created",
        "created",
        "updated",
        "updated",
        "created",
        "created",
        "created",
        "queued",
    ], results

    lines = list(HistoryEntry.objects.filter(listener__isnull=False).values_list("text", flat=True))
    assert len(lines) > 20
    missing = [line for line in lines if "“Web form”" not in line or SENDER not in line]
    assert missing == []
