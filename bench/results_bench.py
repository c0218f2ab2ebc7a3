"""Time and peak memory of `compute_results` (issue 11, points 3–4) at national scale.

    createdb -h 127.0.0.1 -U root barometre_bench
    DJANGO_DEBUG=1 DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        python bench/results_bench.py --responses 36000

Migrates, loads the real list of collectivités (36,336) and the 2025 questionnaire, freezes
the edition's frame, seeds sent responses up to the count with seed_responses (all sent:
the worst case), runs ANALYZE, then runs `manage.py compute_results` in a child process, as staff
would: its wall time (Django's start included), the computation's own duration as stored, and
the child's peak resident memory (ru_maxrss). Prints Markdown and writes
bench/out/results_bench.json.
"""

import argparse
import json
import os
import resource
import subprocess
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=36000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--questionnaire", default=str(ROOT / "questionnaires" / "2025.toml"))
    args = parser.parse_args()

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from results.models import Computation, Frame
    from survey.models import Collectivite, Edition
    from survey.questionnaire.models import BAROMETER_SURVEY

    call_command("migrate", verbosity=0)
    if Collectivite.objects.count() < 36_000:
        call_command("load_collectivites", verbosity=0)
    call_command("load_questionnaire", args.questionnaire, verbosity=0)
    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=args.year)
    if not Frame.objects.filter(edition=edition).exists():
        Frame.freeze(edition, force=True)
    report = {"load_average_before": os.getloadavg()}
    missing = args.responses - edition.responses.count()
    if missing > 0:
        started = time.perf_counter()
        call_command(
            "seed_responses",
            f"--count={missing}",
            f"--edition={edition.year}",
            "--submitted-share=1",
            "--seed=11",
        )
        report["seed_seconds"] = round(time.perf_counter() - started, 1)
    report["responses"] = edition.responses.count()
    report["sent"] = edition.responses.submitted().count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # In a child process, as staff run it: its wall time and its peak resident memory.
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "compute_results", f"--edition={edition.year}"],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    computation = Computation.objects.current(edition)
    report.update(
        {
            "seconds": round(elapsed, 1),
            "command_seconds": round(computation.duration_seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(peak / 1024, 1),
            "weights": computation.weights.count(),
            "estimates": computation.estimates.count(),
            "load_average_after": os.getloadavg(),
        }
    )
    print(done.stdout)
    print("| réponses envoyées | poids | estimations | durée (processus) | dont calcul "
          "| temps CPU | mémoire résidente max |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {report['sent']} | {report['weights']} | {report['estimates']} | "
        f"{report['seconds']} s | {report['command_seconds']} s | {report['cpu_seconds']} s | "
        f"{report['peak_rss_mb']} Mo |"
    )
    print(
        "\nCharge (load average 1, 5, 15 min) : avant "
        + ", ".join(f"{x:.1f}" for x in report["load_average_before"])
        + " ; après "
        + ", ".join(f"{x:.1f}" for x in report["load_average_after"])
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results_bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
