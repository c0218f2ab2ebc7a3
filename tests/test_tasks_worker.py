"""The production path of background tasks: stored in PostgreSQL, run by the real worker."""

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
