"""A web process settles its heap once loaded (crmdp/lib/heap.py): what it loaded
to serve (Django, the apps, the URL patterns and views) is out of the garbage
collector's walks, and young collections run less often than CPython's default."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from crmdp.lib.heap import YOUNG_THRESHOLD

PROBE = (
    "import gc, json, sys; import crmdp.wsgi; "
    "print(json.dumps([gc.get_freeze_count(), gc.get_threshold()[0], "
    "'crmdp.listeners.views' in sys.modules]))"
)


def test_the_web_application_is_out_of_the_collectors_walks_once_loaded(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["CRMDP_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    frozen, young_threshold, views_loaded = json.loads(done.stdout)
    assert frozen > 20_000  # Django and the apps: ~80,000 objects
    assert young_threshold == YOUNG_THRESHOLD > 700
    assert views_loaded  # loaded before settling, not by the first request
