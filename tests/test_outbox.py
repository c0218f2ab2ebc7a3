"""The outbox: one way to write every email (three templates per kind, rendered when sent), and
the message log moved from campaigns to the outbox with its table and rows untouched."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from outbox import kinds, tasks, worker
from outbox.mail import deliver
from outbox.models import Message, MessageKind, MessageStatus
from survey.collection import emails
from tests.factories import ResponseFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "outbox"


def test_every_kind_of_message_has_its_subject_text_and_html_templates():
    for kind in MessageKind:
        names = sorted(path.name for path in (TEMPLATES / kind.value).iterdir())
        assert {"subject.txt", "body.txt", "body.html"} <= set(names), kind


def test_every_kind_of_message_is_declared_by_the_app_that_sends_it():
    assert set(kinds.DECLARED) == {kind.value for kind in MessageKind}
    assert kinds.check_declared() == []


def test_a_kind_that_no_app_declares_stops_the_system_checks(monkeypatch):
    monkeypatch.delitem(kinds.DECLARED, MessageKind.RECEIPT.value)
    assert [error.id for error in kinds.check_declared()] == ["outbox.E001"]


def test_a_kind_without_one_of_its_templates_stops_the_system_checks(monkeypatch):
    monkeypatch.setattr(kinds, "TEMPLATES", (*kinds.TEMPLATES, "body.md"))
    errors = kinds.check_declared()
    assert len(errors) == len(MessageKind)
    assert {error.id for error in errors} == {"outbox.E002"}
    assert "outbox/resume-link/body.md" in " ".join(error.msg for error in errors)


@pytest.mark.django_db
def test_a_respondent_s_resume_link_is_written_when_sent_in_text_and_in_html():
    response = ResponseFactory()
    respondent = response.respondents.create(email="elu@vaulx.fr")
    emails.send_resume_link(respondent)
    message = Message.objects.get()
    assert message.subject == "" and message.body_text == ""  # nothing written when queued
    assert deliver(message.pk) == MessageStatus.SENT
    (email,) = mail.outbox
    assert (
        email.subject == f"{response.edition.title}\u00a0: votre lien pour reprendre vos réponses"
    )
    (url,) = [line for line in email.body.splitlines() if "/reprendre/" in line]
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and f'<a href="{url}">' in html


def test_a_task_queued_under_its_path_in_campaigns_still_finds_its_task(settings):
    """django.tasks imports a task row's path when it runs it: rows queued before the move
    name campaigns.tasks, which still names the outbox's tasks."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for name in ("send_message", "send_batch"):
        row = DBTaskResult(task_path=f"campaigns.tasks.{name}", backend_name="default")
        assert import_string(f"campaigns.tasks.{name}") is import_string(f"outbox.tasks.{name}")
        assert row.task.func is getattr(tasks, name).func
        assert f"campaigns.tasks.{name}" in worker.MESSAGE_TASKS


BEFORE = [("campaigns", "0007_step_texts_send_time_and_tests")]


@pytest.mark.django_db(transaction=True)
def test_the_move_to_the_outbox_keeps_the_table_its_rows_and_the_permission_to_read_them():
    executor = MigrationExecutor(connection)
    executor.migrate([("outbox", None)])  # and campaigns 0008, which depends on it
    try:
        old = executor.loader.project_state(BEFORE).apps
        row = old.get_model("campaigns", "Message").objects.create(
            kind="receipt", recipient="elu@vaulx.fr", body_text="Vos réponses"
        )
        permission_pk = Permission.objects.get(
            content_type__app_label="campaigns", codename="view_message"
        ).pk
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    moved = Message.objects.get(pk=row.pk)
    assert (moved.kind, moved.recipient, moved.body_text) == (
        "receipt",
        "elu@vaulx.fr",
        "Vos réponses",
    )
    assert Message._meta.db_table == "campaigns_message"
    assert "outbox_message" not in connection.introspection.table_names()
    permission = Permission.objects.get(content_type__app_label="outbox", codename="view_message")
    assert permission.pk == permission_pk
