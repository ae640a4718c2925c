"""`google-ads`: the Google Ads lead form webhook.

Google posts one lead per request: `lead_id`, the ids of its `form_id`,
`campaign_id`, `adgroup_id`, `creative_id`, the click id `gcl_id`, `is_test` (the
"Send test data" button), the `google_key` the advertiser typed into the form's
webhook settings, and `user_column_data`, one `{column_id, column_name,
string_value}` per question. The key is the only proof that Google sent it: a body
without the listener's key is refused. The lead id is the idempotency key, since
Google resends a lead it got no 200 for.
"""

from __future__ import annotations

import hmac
from typing import Any

from crmdp.lib.issues import Issue
from crmdp.listeners.formats.person import Person, person_actions
from crmdp.listeners.formats.submission import Refused, Request, Submission, json_object

COLUMNS = {
    "FULL_NAME": "full_name",
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE": "phone",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "title",
    "STREET_ADDRESS": "street",
    "CITY": "city",
    "POSTAL_CODE": "zip",
    "COUNTRY": "country",
}
# The ids that say which ad brought the lead: the record's attribution.
ATTRIBUTION = {
    "campaign_id": "google_ads_campaign_id",
    "adgroup_id": "google_ads_adgroup_id",
    "creative_id": "google_ads_creative_id",
    "form_id": "google_ads_form_id",
    "lead_id": "google_ads_lead_id",
    "gcl_id": "gclid",
}


def read(request: Request) -> Submission:
    body = json_object(request.body, "Google Ads lead form webhook")
    _check_key(request, body.get("google_key"))
    lead_id = _text(body.get("lead_id"))
    person = Person(attribution={"utm_source": "google", "utm_medium": "cpc"})
    for name, key in ATTRIBUTION.items():
        value = _text(body.get(name))
        if value:
            person.attribution[key] = value
    if body.get("is_test") is True:
        person.attribution["is_test"] = "true"
    columns = body.get("user_column_data")
    if not isinstance(columns, list):
        raise Refused(
            400,
            "invalid_body",
            "a Google Ads lead carries user_column_data",
            Issue("user_column_data", "is required: a list of {column_id, string_value}"),
        )
    for index, column in enumerate(columns):
        if not isinstance(column, dict):
            raise Refused(
                400,
                "invalid_body",
                "user_column_data holds objects",
                Issue(f"user_column_data[{index}]", "must be an object"),
            )
        value = _text(column.get("string_value"))
        if not value:
            continue
        column_id = _text(column.get("column_id")) or ""
        target = COLUMNS.get(column_id.upper())
        if target:
            setattr(person, target, value)
        else:
            label = _text(column.get("column_name")) or column_id or f"Answer {index + 1}"
            person.extras.append((label, value))
    return Submission(items=person_actions(request.listener, person), idempotency_key=lead_id)


def _check_key(request: Request, sent: Any) -> None:
    expected = request.listener.format_secret
    # Fail closed: a listener without a key accepts no lead at all.
    if (
        not expected
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise Refused(
            403,
            "invalid_google_key",
            "google_key is not this listener's key (the key in the lead form's webhook "
            "settings must be the listener's secret)",
            Issue("google_key", "must be the listener's secret"),
        )


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    return None
