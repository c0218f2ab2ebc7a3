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
    # The lookup, then the sending of the message it queued.
    lookup, sending = DBTaskResult.objects.order_by("enqueued_at")
    assert lookup.status == sending.status == "SUCCESSFUL", lookup.traceback + sending.traceback
    assert lookup.return_value == 1
    assert sending.return_value == "sent"
    assert "/reprendre/" in worker.stdout  # the console mail backend printed the email


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_then_restarted_sends_every_message_exactly_once(
    small_survey, settings, tmp_path, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the persistent task backend is exercised on PostgreSQL")
    import collections
    import json
    import re
    import time

    from django.core.management import call_command

    from campaigns import audience
    from campaigns.models import Contact, Message, MessageStatus, Step, StepKind
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
    # The 13th message, in the middle of the third batch, never gets the server's answer.
    worker = subprocess.Popen(
        command, cwd=ROOT, env=environment | {"HANG_AFTER": "12"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):  # until the worker hangs in that send (at most a minute)
            if (tmp_path / "hanging").exists():
                break
            time.sleep(0.1)
    finally:
        worker.kill()  # SIGKILL: no chance to finish the batch nor to tidy up
        worker.wait(timeout=30)
    assert (tmp_path / "hanging").exists()
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 12

    # The killed task stays « running » forever: the sweep queues what it left behind.
    call_command("sweep_messages", "--grace", "0", stdout=io.StringIO())
    restarted = subprocess.run(
        [*command, "--batch"], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr

    written = "".join(path.read_text() for path in sink.iterdir())
    sent = collections.Counter(re.findall(r"^X-Barometre-Message: (\d+)$", written, re.M))
    pks = {str(pk) for pk in Message.objects.values_list("pk", flat=True)}
    assert set(sent) == pks
    assert set(sent.values()) == {1}, "a message was sent twice"
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
