"""The email worker on the embedded default (SQLite, `make run`), with real processes: it keeps
sending while staff seed responses and compute results, and through a long exclusive lock held
by another process; killed, it is started again by `run_worker`."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# How long another process holds the database (issue 24 asks for 40 s; the busy timeout,
# settings.SQLITE_BUSY_TIMEOUT, is 60 s).
LOCK_SECONDS = 40
TASKS_TABLE = "django_tasks_database_dbtaskresult"

SETUP = """
from django.core.management import call_command
from survey.collection.models import Respondent
from survey.questionnaire.models import Edition
from tests.factories import ResponseFactory

call_command("migrate", verbosity=0)
call_command("load_questionnaire", "questionnaires/2023.toml", "questionnaires/2025.toml")
call_command("load_collectivites", verbosity=0)
call_command("set_edition_dates", year=2025, closes_at=__import__("datetime").datetime(
    2099, 1, 31, tzinfo=__import__("datetime").UTC))
call_command("freeze_frame", edition=2025, force=True)
edition = Edition.objects.for_year(2025, "barometre-ia-collectivites")
Respondent.create_for(ResponseFactory(edition=edition), email="agent@mairie.fr")
"""

# Asks for the resume links of agent@mairie.fr every half second (one email each) until the
# stop file exists, then writes how many it asked for.
FEEDER = """
import time
from pathlib import Path
from survey.collection.emails import send_resume_links

folder = Path({folder!r})
count = 0
while not (folder / "stop").exists():
    send_resume_links("agent@mairie.fr")
    count += 1
    (folder / "fed").write_text(str(count))
    time.sleep(0.5)
(folder / "fed-final").write_text(str(count))
"""

ASK_ONCE = """
from survey.collection.emails import send_resume_links
send_resume_links("agent@mairie.fr")
"""

LOCKER = """
import sqlite3, sys, time
from pathlib import Path
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
Path(sys.argv[2]).touch()
time.sleep(float(sys.argv[3]))
connection.execute("COMMIT")
"""


def manage(environment, *args, timeout=600):
    finished = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout


def task_counts(database):
    connection = sqlite3.connect(database, timeout=90)
    try:
        rows = connection.execute(
            f"SELECT status, COUNT(*) FROM {TASKS_TABLE} GROUP BY status"  # noqa: S608
        ).fetchall()
    finally:
        connection.close()
    return dict(rows)


def fed(folder):
    path = folder / "fed"
    return int(path.read_text()) if path.exists() else 0


def sent_emails(sink):
    text = "".join(path.read_text() for path in sink.iterdir()) if sink.exists() else ""
    return len(re.findall(r"^To: agent@mairie\.fr$", text, re.M))


def wait_for(condition, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"still waiting after {seconds} s: {what}")


def worker_child(supervisor):
    """The db_worker process that run_worker started (Linux: /proc)."""
    children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text()
    pids = [int(pid) for pid in children.split()]
    return pids[0] if pids else None


def test_the_worker_keeps_sending_on_sqlite_through_seeding_computing_and_a_long_lock(
    tmp_path,
):
    database = tmp_path / "db.sqlite3"
    sink = tmp_path / "sink"
    environment = {
        k: v for k, v in os.environ.items() if k not in {"EMAIL_HOST", "DATABASE_URL"}
    } | {
        "DJANGO_SETTINGS_MODULE": "barometre.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_IN_DATABASE": "1",
        "MAILER_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "MAILER_OPTIONS": json.dumps({"file_path": str(sink)}),
    }
    manage(environment, "shell", "-c", SETUP)
    assert sqlite3.connect(database).execute("PRAGMA journal_mode").fetchone() == ("wal",)

    supervisor_log = tmp_path / "run_worker.log"
    with supervisor_log.open("w") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--", "--interval", "0.2",
             "--no-startup-delay"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    feeder = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", FEEDER.format(folder=str(tmp_path))],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    locker = None
    try:
        wait_for(lambda: sent_emails(sink) >= 2, 60, "the first emails")

        # Staff's heavy writers, one after the other, while emails keep being asked for.
        manage(environment, "seed_responses", "--count", "1000", "--edition", "2025",
               "--seed", "24")  # fmt: skip
        manage(environment, "compute_results", "--edition", "2025")
        during_commands = fed(tmp_path)

        # Another process holds the whole database, longer than SQLite's default wait (5 s).
        locked = tmp_path / "locked"
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(database), str(locked), str(LOCK_SECONDS)]
        )
        wait_for(locked.exists, 30, "the lock")
        asked_before_lock = fed(tmp_path)
        assert locker.wait(timeout=LOCK_SECONDS + 60) == 0
        # The requests made during the lock waited for it, then were sent like the others.
        wait_for(lambda: sent_emails(sink) >= asked_before_lock + 2, 90, "emails after the lock")
        assert "s'est arrêté" not in supervisor_log.read_text()  # it never died meanwhile
        assert supervisor.poll() is None
        (tmp_path / "stop").touch()
        assert feeder.wait(timeout=120) == 0
        asked = int((tmp_path / "fed-final").read_text())
        wait_for(lambda: sent_emails(sink) >= asked, 120, "every email asked for")

        # A worker that dies anyway (here: killed, between two tasks) is started again.
        child = worker_child(supervisor)
        assert child is not None
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: worker_child(supervisor) not in (None, child), 30, "a new worker")
        manage(environment, "shell", "-c", ASK_ONCE)
        wait_for(lambda: sent_emails(sink) >= asked + 1, 60, "an email after the restart")
        counts = task_counts(database)
    finally:
        (tmp_path / "stop").touch()
        feeder.wait(timeout=120)
        if locker is not None and locker.poll() is None:
            locker.kill()
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)

    assert during_commands >= 4  # emails were asked for while the commands wrote
    assert asked > asked_before_lock  # and during the lock (that request waited for it)
    assert sent_emails(sink) == asked + 1  # each sent once
    # Each request queues one message, sent by one task (its links are made when it is sent).
    assert counts == {"SUCCESSFUL": asked + 1}, counts
    assert "s'est arrêté (code -9) : relancé" in supervisor_log.read_text()


def test_run_worker_starts_a_dying_worker_again_more_slowly_each_time_and_stops_it_with_itself(
    tmp_path,
):
    # An empty database: db_worker dies at once on its missing table, every time.
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "barometre.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "TASKS_IN_DATABASE": "1",
    }
    log = tmp_path / "run_worker.log"
    with log.open("w") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--", "--no-startup-delay"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: "relancé dans 2 s" in log.read_text(), 90, "a second restart")
        seen = []
        wait_for(lambda: seen.append(worker_child(supervisor)) or seen[-1], 30, "a worker")
        child = seen[-1]
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=60) == 0
    restarts = re.findall(r"s'est arrêté \(code (-?\d+)\) : relancé dans (\d+) s", log.read_text())
    assert [delay for _, delay in restarts[:2]] == ["1", "2"]  # backing off
    assert all(code != "0" for code, _ in restarts)
    with pytest.raises(ProcessLookupError):  # the worker stopped with it, never orphaned
        os.kill(child, 0)
