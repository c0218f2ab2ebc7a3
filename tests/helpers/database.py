"""Data built once for a module of tests, each test in a transaction inside it.

pytest-django runs each test of a `django_db` module in a transaction rolled back at its end. A
module fixture that opens a transaction first, builds its data in it and yields makes each
test's own transaction a savepoint inside it: every test starts from the data as built, and the
module's transaction is rolled back when its last test ends. Not for browser or
`transactional_db` tests: those commit, and the live server reads another connection.

`kept_for_the_module` when every test of the module wants the data; `built_once` and a
`Snapshot` restored by the tests that want it when only some do (tests/shipped.py too).
"""

import contextlib
from dataclasses import dataclass

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
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


@dataclass
class Snapshot:
    """Rows a build created, model by model, as plain field values."""

    rows: dict

    def restore(self):
        """Write the rows back with their keys (inside the caller's transaction)."""
        from survey.questionnaire.models import forget_questionnaires

        for model, values in self.rows.items():
            model._base_manager.bulk_create((model(**row) for row in values), batch_size=2000)
        # Rows written with their keys leave PostgreSQL's sequences behind: move them on.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                cursor.execute(sql)
        forget_questionnaires()

    def count(self, model):
        return len(self.rows.get(model, ()))


def _models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def snapshot_of(build):
    """Run `build()` and return what it returned and a Snapshot of the rows it created (the
    caller rolls the build back: the snapshot is restored where it is wanted)."""
    before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in _models()}
    result = build()
    rows = {}
    for model in _models():
        attnames = [field.attname for field in model._meta.concrete_fields]
        created = list(
            model._base_manager.exclude(pk__in=before[model]).order_by("pk").values(*attnames)
        )
        if created:
            rows[model] = created
    return result, Snapshot(rows)


def built_once(django_db_blocker, build):
    """`snapshot_of(build)` in a transaction rolled back at once, for a session or module
    fixture: its tests restore the snapshot (a bulk insert per model) rather than build again.
    Unlike `kept_for_the_module`, tests that do not restore it never see its rows."""
    with (
        django_db_blocker.unblock(),
        override_settings(QUESTIONNAIRE_CACHE=False),
        transaction.atomic(),
    ):
        built = snapshot_of(build)
        transaction.set_rollback(True)
    return built
