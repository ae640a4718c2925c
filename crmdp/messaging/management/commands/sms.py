from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from crmdp.messaging.services import sms_set
from crmdp.messaging.transports import SMS_TRANSPORTS
from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument, positive_int


def _set(parser: CommandParser) -> None:
    """the org's SMS provider (log records without sending) and/or trial allowance"""
    org_argument(parser)
    parser.add_argument("--provider", choices=[*SMS_TRANSPORTS, "none"])
    parser.add_argument("--url", metavar="U", help="http provider: the gateway's URL")
    parser.add_argument("--trial", type=positive_int, metavar="N", help="trial messages left")
    parser.add_argument(
        "--daily-cap", type=positive_int, metavar="N", help="most SMS a day (UTC) for this org"
    )


class Command(ProvisioningCommand):
    help = "Set up an org's SMS sending."
    verbs = {"set": _set}

    def verb_set(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        org = self.org(options)
        setup = sms_set(
            org,
            provider=options["provider"],
            url=options["url"],
            trial=options["trial"],
            daily_cap=options["daily_cap"],
        )
        payload = {
            "id": org.id,
            "org": org.name,
            "provider": setup.provider or None,
            "url": setup.url or None,
            "trialRemaining": setup.trial_remaining,
            "dailyCap": setup.daily_cap,
        }
        provider = setup.provider or "none (trial allowance)"
        return payload, f"{org.name}: SMS provider {provider}, {setup.trial_remaining} trial left"
