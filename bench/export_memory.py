"""Peak Python memory (tracemalloc) and first byte of one export, in process.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://… .venv/bin/python bench/export_memory.py \\
        [--format xlsx] [--limit 3600]

Renders the first `limit` responses of the 2025 barometer (seeded: `seed_responses`, or
bench/export_bench.py) to /dev/null, as the export command does, and prints the seconds to
the first chunk, the total seconds and the peak of memory allocated by Python while rendering.
tracemalloc slows Python down several times: read the seconds as a comparison between two
runs of this script, not as the export's speed (bench/export_bench.py measures that).
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", default="xlsx")
    parser.add_argument("--limit", type=int, default=3600)
    parser.add_argument("--year", type=int, default=2025)
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
    tracemalloc.start()
    started = time.perf_counter()
    first = None
    size = 0
    for chunk in render(args.format, edition, ExportOptions(status="all"), selected):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{args.format}, {args.limit} réponses : premier octet {first:.2f} s, "
        f"total {seconds:.1f} s, {size / 1e6:.1f} Mo écrits, "
        f"pic de mémoire Python {peak / 1e6:.1f} Mo (tracemalloc)"
    )


if __name__ == "__main__":
    main()
