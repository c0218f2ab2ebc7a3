"""The production path of background tasks: stored in PostgreSQL, run by the real worker."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from survey.collection.models import Respondent
from tests.factories import ResponseFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_the_resume_links_asked_for_on_the_page(
    client, small_survey, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("the persistent task backend is exercised on PostgreSQL")
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    Respondent.create_for(ResponseFactory(edition=small_survey), email="agent@mairie.fr")
    assert client.post(reverse("resume_by_email"), {"email": "agent@mairie.fr"}).status_code == 200
    assert DBTaskResult.objects.ready().count() == 1

    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    environment = os.environ | {"DATABASE_URL": url, "TASKS_IN_DATABASE": "1"}
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    # The sending of the message, whose links are looked up and made then.
    (sending,) = DBTaskResult.objects.all()
    assert sending.status == "SUCCESSFUL", sending.traceback
    assert sending.return_value == "sent"
    assert "/reprendre/" in worker.stdout  # the console mail backend printed the email


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_is_recovered_by_the_next_worker_at_once(
    small_survey, settings, tmp_path, monkeypatch
):
    """No cron needed: the next worker to start marks the dead one's task failed and sends
    what it left, exactly once; a worker still alive is left alone."""
    if connection.vendor != "postgresql":
        pytest.skip("the persistent task backend is exercised on PostgreSQL")
    import collections
    import json
    import re
    import time

    from django_tasks_db.models import DBTaskResult

    from campaigns import audience
    from campaigns.models import Contact, Message, MessageStatus, Step, StepKind
    from outbox.worker import DEAD_WORKER
    from tests.factories import CollectiviteFactory

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(audience, "BATCH_SIZE", 5)
    Contact.objects.bulk_create(
        Contact(edition=small_survey, collectivite=CollectiviteFactory(), email=f"c{n}@mairie.fr")
        for n in range(40)
    )
    step = Step.objects.create(edition=small_survey, kind=StepKind.INVITATION)
    assert audience.queue_step(step) == 40  # 8 background tasks of 5 messages

    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    sink = tmp_path / "sink"
    environment = {k: v for k, v in os.environ.items() if k != "EMAIL_HOST"} | {
        "DATABASE_URL": url,
        "TASKS_IN_DATABASE": "1",
        "MAILER_BACKEND": "tests.mail_backends.HangingFileBackend",
        "MAILER_OPTIONS": json.dumps({"file_path": str(sink)}),
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
               "--interval", "0.1"]  # fmt: skip

    def run_to_the_end():
        done = subprocess.run(
            [*command, "--batch"], cwd=ROOT, env=environment, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    # The 13th message, in the middle of the third batch, never gets the server's answer.
    hanging = subprocess.Popen(
        command, cwd=ROOT, env=environment | {"HANG_AFTER": "12"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):  # until the worker hangs in that send (at most a minute)
            if (tmp_path / "hanging").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "hanging").exists()
        # Another worker starts meanwhile: the hanging one is alive, its task is left alone.
        run_to_the_end()
        running = DBTaskResult.objects.get(status="RUNNING")
        assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 3
    finally:
        hanging.kill()  # SIGKILL: no chance to finish the batch nor to tidy up
        hanging.wait(timeout=30)

    run_to_the_end()  # the next worker's start is enough: no sweep, no cron
    running.refresh_from_db()
    assert (running.status, running.exception_class_path) == ("FAILED", DEAD_WORKER)
    assert not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
    written = "".join(path.read_text() for path in sink.iterdir())
    sent = collections.Counter(re.findall(r"^X-Barometre-Message: (\d+)$", written, re.M))
    pks = {str(pk) for pk in Message.objects.values_list("pk", flat=True)}
    assert set(sent) == pks
    assert set(sent.values()) == {1}, "a message was sent twice"
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_the_sweep_forgets_finished_tasks_after_thirty_days(small_survey, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the persistent task backend is exercised on PostgreSQL")
    import datetime

    from django.core.management import call_command
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from campaigns.tasks import send_message

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old, recent, waiting = (send_message.enqueue(pk) for pk in (1, 2, 3))
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.id).update(
        status="SUCCESSFUL", finished_at=now - datetime.timedelta(days=31)
    )
    DBTaskResult.objects.filter(pk=recent.id).update(
        status="FAILED", finished_at=now - datetime.timedelta(days=29)
    )
    call_command("sweep_messages", stdout=io.StringIO())
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        DBTaskResult.objects.get(pk=recent.id).pk,
        DBTaskResult.objects.get(pk=waiting.id).pk,
    }
