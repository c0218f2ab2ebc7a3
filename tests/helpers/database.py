"""Data built once for a module of tests, each test in a transaction inside it.

pytest-django runs each test of a `django_db` module in a transaction rolled back at its end. A
module fixture that opens a transaction first, builds its data in it and yields makes each
test's own transaction a savepoint inside it: every test starts from the data as built, and the
module's transaction is rolled back when its last test ends. Not for browser or
`transactional_db` tests: those commit, and the live server reads another connection.
"""

import contextlib

from django.db import transaction
from django.test import override_settings


@contextlib.contextmanager
def kept_for_the_module(django_db_blocker):
    """A transaction open until the block ends, then rolled back; the block builds its data
    inside `django_db_blocker.unblock()`. Questionnaires are read afresh, as in every test."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
    try:
        with override_settings(QUESTIONNAIRE_CACHE=False):
            yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
