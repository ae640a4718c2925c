import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
django.setup(set_prefix=False)

# Imported once Django is set up: Django's WSGI handler with a shorter middleware
# chain for listener deliveries (crmdp/web/handler.py).
import crmdp.urls  # noqa: E402, F401  (the URL patterns and views, now rather than at the first request)
from crmdp.lib.heap import settle  # noqa: E402
from crmdp.web.handler import Handler  # noqa: E402

application = Handler()
# What is loaded now serves every request: out of the garbage collector's walks.
settle()
