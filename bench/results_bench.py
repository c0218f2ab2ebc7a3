"""Time and peak memory of `compute_results` (issue 11, points 3–4) at national scale.

    createdb -h 127.0.0.1 -U root barometre_bench
    DJANGO_DEBUG=1 DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        python bench/results_bench.py --responses 36000

Migrates, loads the real list of collectivités (36,336) and the 2025 questionnaire, freezes
the edition's frame, seeds sent responses up to the count with seed_responses (all sent:
the worst case), runs ANALYZE, then runs `compute_results` in process: wall time, peak memory
of the process (ru_maxrss, which includes Django and the seeding before it: the figure is an
upper bound) and the Python allocations' peak during the command (tracemalloc). Prints
Markdown and writes bench/out/results_bench.json.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
import tracemalloc
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

    call_command("migrate", verbosity=0)
    if Collectivite.objects.count() < 36_000:
        call_command("load_collectivites", verbosity=0)
    call_command("load_questionnaire", args.questionnaire, verbosity=0)
    edition = Edition.objects.get(year=args.year)
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

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    output = io.StringIO()
    call_command("compute_results", f"--edition={edition.year}", stdout=output)
    elapsed = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    computation = Computation.objects.current(edition)
    report.update(
        {
            "seconds": round(elapsed, 1),
            "python_peak_mb": round(python_peak / 2**20, 1),
            "max_rss_mb_before": round(rss_before / 1024, 1),
            "max_rss_mb_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "weights": computation.weights.count(),
            "estimates": computation.estimates.count(),
            "load_average_after": os.getloadavg(),
        }
    )
    print(output.getvalue())
    print("| réponses envoyées | poids | estimations | durée | pic Python (tracemalloc) "
          "| RSS max du processus |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {report['sent']} | {report['weights']} | {report['estimates']} | "
        f"{report['seconds']} s | {report['python_peak_mb']} Mo | "
        f"{report['max_rss_mb_after']} Mo |"
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
