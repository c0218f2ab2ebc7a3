"""Settings for the test suite, so that a bare `pytest` runs without any environment.

The tests run with the developer's defaults (debug, a throw-away secret key), on PostgreSQL
when DATABASE_URL is set and SQLite otherwise, exactly like `make test`.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
# The provider's webhook is served only with a secret: the tests exercise it.
os.environ.setdefault("ANYMAIL_WEBHOOK_SECRET", "fournisseur:secret-de-test")

from barometre.settings import *  # noqa: E402, F403
