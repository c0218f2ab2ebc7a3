"""An invitation campaign at national scale: 36,000 contacts imported, invited, sent.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        python bench/campaign_bench.py --contacts 36000

Migrates, loads the real list of collectivités and the 2025 questionnaire, then times:
1. the CSV import of one contact per collectivité (campaigns.imports.import_contacts, as the
   admin runs it), with its peak Python memory (tracemalloc);
2. the queuing of the invitation step (one Message per contact, background tasks in
   PostgreSQL through django-tasks-db), with its peak memory;
3. the sending by one `db_worker` process through a local SMTP sink (bench/smtp_sink.py),
   while the home page and /healthz are fetched in this process: their median time while
   the worker sends, against the same before it starts.
Results are printed as Markdown and written to bench/out/campaign_bench.json.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SMTP_PORT = 2526


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")
    os.environ["TASKS_IN_DATABASE"] = "1"
    os.environ.pop("EMAIL_HOST", None)
    import django

    django.setup()


def measured(function, *args):
    tracemalloc.start()
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 1024 / 1024


def page_times(client, runs=15):
    times = {}
    for url in ("/", "/healthz"):
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            assert client.get(url).status_code == 200, url
            samples.append((time.perf_counter() - start) * 1000)
        times[url] = round(statistics.median(samples), 1)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=36000)
    parser.add_argument("--max-send-seconds", type=int, default=900)
    options = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from campaigns.audience import queue_step
    from campaigns.imports import import_contacts
    from campaigns.models import Contact, Message, MessageStatus, Step, StepKind
    from survey.collectivites.models import Collectivite
    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    call_command("migrate", verbosity=0)
    if not Collectivite.objects.exists():
        call_command("load_collectivites", verbosity=0)
    call_command("load_questionnaire", "questionnaires/2025.toml", verbosity=0)
    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=2025)
    Message.objects.filter(edition=edition).delete()
    Step.objects.filter(edition=edition).delete()
    Contact.objects.filter(edition=edition).delete()
    DBTaskResult.objects.all().delete()

    codes = list(
        Collectivite.objects.order_by("pk").values_list("siren", "insee_code")[: options.contacts]
    )
    lines = ["siren;email;nom;fonction"] + [
        f"{siren or insee};contact{n}@collectivite.example;Agent {n};DGS"
        for n, (siren, insee) in enumerate(codes)
    ]
    data = "\n".join(lines).encode()
    result, import_seconds, import_peak = measured(import_contacts, edition, data)
    assert not result.error_count, result.errors[:5]

    step = Step.objects.create(edition=edition, kind=StepKind.INVITATION)
    queued, queue_seconds, queue_peak = measured(queue_step, step)
    tasks = DBTaskResult.objects.count()
    print(f"import {import_seconds:.1f} s, {import_peak:.1f} MiB; "
          f"queue {queued} in {queue_seconds:.1f} s, {queue_peak:.1f} MiB", flush=True)  # fmt: skip

    client = Client(HTTP_HOST="127.0.0.1")
    idle = page_times(client)
    OUT.mkdir(exist_ok=True)
    mailbox = OUT / "campaign_mail.log"
    mailbox.unlink(missing_ok=True)
    sink = subprocess.Popen([sys.executable, "bench/smtp_sink.py", str(SMTP_PORT), str(mailbox)],
                            cwd=ROOT)  # fmt: skip
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", SMTP_PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    environment = os.environ | {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_USE_TLS": "0",
        "SITE_URL": "https://barometre.example.fr",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    start = time.perf_counter()
    during = None
    try:
        while time.perf_counter() - start < options.max_send_seconds:
            sent = Message.objects.filter(step=step, status=MessageStatus.SENT).count()
            if during is None and sent > 500:
                during = page_times(client)
            if sent >= queued:
                break
            time.sleep(1)
    finally:
        send_seconds = time.perf_counter() - start
        worker.terminate()
        worker.wait(timeout=30)
        sink.terminate()
    sent = Message.objects.filter(step=step, status=MessageStatus.SENT).count()
    figures = {
        "contacts": result.created,
        "import_seconds": round(import_seconds, 1),
        "import_peak_mib": round(import_peak, 1),
        "queued": queued,
        "background_tasks": tasks,
        "queue_seconds": round(queue_seconds, 1),
        "queue_peak_mib": round(queue_peak, 1),
        "sent": sent,
        "send_seconds": round(send_seconds, 1),
        "messages_per_second": round(sent / send_seconds, 1),
        "pages_idle_ms": idle,
        "pages_while_sending_ms": during,
    }
    (OUT / "campaign_bench.json").write_text(json.dumps(figures, indent=2))
    print("| Figure | Value |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
