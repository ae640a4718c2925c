import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
django.setup(set_prefix=False)

# Imported once Django is set up: Django's WSGI handler with a shorter middleware
# chain for listener deliveries (crmdp/web/handler.py).
from crmdp.web.handler import Handler  # noqa: E402

application = Handler()
