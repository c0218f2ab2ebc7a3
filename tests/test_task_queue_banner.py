"""The admin says when no worker takes the background tasks (emails) that wait."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from campaigns.tasks import send_message

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
START = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def stored_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def staff_client(client):
    client.user = User.objects.create_superuser("admin")
    return client


def banner(client):
    client.force_login(client.user)  # a session of the travelled-to time
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="stalled-tasks"' not in html:
        return None
    return html.split('id="stalled-tasks"', 1)[1].split("</li>", 1)[0]


def test_a_task_waiting_for_five_minutes_with_no_worker_raises_a_banner(stored_tasks, staff_client):
    with time_machine.travel(START, tick=False) as clock:
        send_message.enqueue(1)
        send_message.enqueue(2)
        clock.shift(datetime.timedelta(minutes=4))
        assert banner(staff_client) is None  # a worker may be about to take them
        clock.shift(datetime.timedelta(minutes=2))
        text = banner(staff_client)
    assert text is not None
    assert "Les envois sont à l’arrêt" in text
    assert "2 tâches" in text
    assert "attendent depuis le 4 mars 2030 à 10" in text  # Paris time
    assert "run_worker" in text


def test_no_banner_while_a_worker_takes_tasks_even_with_a_backlog(stored_tasks, staff_client):
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel(START, tick=False) as clock:
        send_message.enqueue(1)
        clock.shift(datetime.timedelta(minutes=10))
        send_message.enqueue(2)
        # A worker took the newer one a minute ago: it is there, only behind.
        DBTaskResult.objects.filter(args_kwargs__args__0=2).update(
            status="RUNNING", started_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        assert banner(staff_client) is None
        clock.shift(datetime.timedelta(minutes=5))  # and then nothing for five minutes
        assert banner(staff_client) is not None


def test_no_banner_when_nothing_waits_or_tasks_run_during_the_request(settings, staff_client):
    with time_machine.travel(START, tick=False) as clock:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        clock.shift(datetime.timedelta(hours=1))
        assert banner(staff_client) is None
        settings.TASKS = {
            "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
        }
        assert banner(staff_client) is None
