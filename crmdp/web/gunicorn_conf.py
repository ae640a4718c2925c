"""gunicorn settings that `crmdp serve` always applies."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from crmdp.lib.netaddr import parse_networks
from crmdp.listeners.redaction import RedactListenerTokens


class RedactingLogger(Logger):
    """gunicorn's logs without listener tokens: the access log's request line and
    referer, and the error log's "Invalid request" lines, which quote the request."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactListenerTokens) for f in log.filters):
                log.addFilter(RedactListenerTokens())


logger_class = RedactingLogger

# gunicorn 25+ opens a control socket at one fixed path per user: two servers on one
# machine would take it from each other (and `gunicornc` would reach the wrong one).
# `crmdp serve` is managed through signals, so it opens none. (Older gunicorn
# ignores the setting.)
control_socket_disable = True

# The proxies whose X-Forwarded-For the listener believes (TRUSTED_PROXIES) are the
# ones whose X-Forwarded-Proto gunicorn believes: behind a TLS proxy on another host,
# requests it forwarded over https count as https (no redirect loop under
# SECURE_SSL_REDIRECT). Unset, gunicorn's default stands: 127.0.0.1 and ::1.
_trusted = parse_networks(os.environ.get("TRUSTED_PROXIES", "").split(","))
if _trusted:
    # A comma-separated string: gunicorn refuses a list here ("Not a string"), and
    # `crmdp serve` would not start at all with TRUSTED_PROXIES set.
    forwarded_allow_ips = ",".join(str(network) for network in _trusted)
