"""Time of the coverage page (issue 11, point 2) at national scale: 36,000 responses.

    createdb -h 127.0.0.1 -U root barometre_bench
    DJANGO_DEBUG=1 DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        python bench/coverage_bench.py --responses 36000 --runs 15

Migrates, loads the real list of collectivités (36,336) and the 2025 questionnaire, freezes
the edition's frame (timed: bulk_create of 36,336 members), seeds responses up to the count
with seed_responses, runs ANALYZE, then fetches the coverage page in process with the test
client (one level at a time, and the CSV of all levels): median of the runs, SQL queries.
/healthz is measured the same way as the floor of the stack at that moment. Results are
printed as Markdown and written to bench/out/coverage_bench.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")
    import django

    django.setup()


def timed(client, url, params, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm up
    assert response.status_code == 200, (url, params, response.status_code)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params)
            if response.streaming:
                b"".join(response.streaming_content)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return {
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
        "queries": len(queries),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=36000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--questionnaire", default=str(ROOT / "questionnaires" / "2025.toml"))
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from results.models import Frame
    from survey.models import Collectivite, Edition
    from survey.questionnaire.models import BAROMETER_SURVEY

    call_command("migrate", verbosity=0)
    if Collectivite.objects.count() < 36_000:
        call_command("load_collectivites", verbosity=0)
    call_command("load_questionnaire", args.questionnaire, verbosity=0)
    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=args.year)
    report = {"load_average_before": os.getloadavg()}

    Frame.objects.filter(edition=edition).delete()
    started = time.perf_counter()
    frame = Frame.freeze(edition, force=True)
    report["freeze_seconds"] = round(time.perf_counter() - started, 2)
    report["frame_members"] = frame.collectivite_count

    missing = args.responses - edition.responses.count()
    if missing > 0:
        started = time.perf_counter()
        call_command("seed_responses", f"--count={missing}", f"--edition={edition.year}")
        report["seed_seconds"] = round(time.perf_counter() - started, 1)
    report["responses"] = edition.responses.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    user, _ = User.objects.get_or_create(username="bench-observatoire", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Observatoire"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = reverse("admin:results_coverage")
    pages = {
        "/healthz (plancher)": ("/healthz", {}),
        "suivi, par strate": (url, {}),
        "suivi, par région": (url, {"niveau": "region"}),
        "suivi, par département": (url, {"niveau": "departement"}),
        "CSV, tous les niveaux": (url, {"format": "csv"}),
    }
    report["pages"] = {label: timed(client, *page, args.runs) for label, page in pages.items()}
    report["load_average_after"] = os.getloadavg()

    print(f"Base de sondage figée : {frame.collectivite_count} collectivités "
          f"en {report['freeze_seconds']} s")  # fmt: skip
    print(f"Réponses en base : {report['responses']}\n")
    print(f"| page | médiane ({args.runs} chargements) | max | requêtes SQL |")
    print("|---|---:|---:|---:|")
    for label, row in report["pages"].items():
        print(f"| {label} | {row['median_ms']} ms | {row['max_ms']} ms | {row['queries']} |")
    print(
        "\nCharge (load average 1, 5, 15 min) : avant "
        + ", ".join(f"{x:.1f}" for x in report["load_average_before"])
        + " ; après "
        + ", ".join(f"{x:.1f}" for x in report["load_average_after"])
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "coverage_bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
