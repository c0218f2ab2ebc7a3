"""The functions an export spends its time in (cProfile), for docs/benchmarks.md.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://… .venv/bin/python bench/profile_export.py \\
        [--format csv] [--limit 36000] [--top 15]

Exports the first `limit` responses of the 2025 edition (seeded by bench/export_bench.py) to
/dev/null under cProfile, and prints the functions by their own time, with their share.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", default="csv")
    parser.add_argument("--limit", type=int, default=36000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")
    import django

    django.setup()
    from survey.exports.formats import render
    from survey.exports.options import ExportOptions
    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=args.year)
    last = edition.responses.order_by("pk").values_list("pk", flat=True)[args.limit - 1]
    selected = edition.responses.filter(pk__lte=last)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in render(args.format, edition, ExportOptions(status="all"), selected):
        pass
    profile.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profile)
    total = stats.total_tt
    print(f"{args.format}, {args.limit} réponses : {seconds:.1f} s (sous cProfile)\n")
    print("| fonction | temps propre | part |")
    print("|---|---:|---:|")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    for (filename, line, name), (_, _, own, _, _) in rows[: args.top]:
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"| `{where}:{line}({name})` | {own:.2f} s | {100 * own / total:.0f} % |")


if __name__ == "__main__":
    main()
