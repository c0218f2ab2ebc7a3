"""Time and peak memory of every export format, and the admin's response list, at scale.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        python bench/export_bench.py --sizes 3600,12000,36000

Responses are seeded up to the largest size (seed_responses), then, for each size, each
format exports the first N responses in a fresh subprocess that reports its wall time, its
time to first byte and its peak resident memory (VmHWM). The admin pages are then fetched in
process with the test client: median time of several loads, number of SQL queries. Results
are printed as Markdown and written to bench/out/export_bench.json, with the machine's load.

Collectivités: when the database has fewer than the largest size (the reference data of
load_collectivites is not loaded), synthetic ones are bulk-inserted, with a plausible mix of
kinds and population bands; the report says so.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FORMATS = ["csv", "long-csv", "xlsx", "json", "datapackage"]
# Region codes (COG): 13 in metropolitan France, 5 overseas.
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
REGIONS += ["01", "02", "03", "04", "06"]


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")
    import django

    django.setup()


def peak_rss_mb():
    """This process's peak resident memory. VmHWM, since getrusage's ru_maxrss carries the
    parent's memory over through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    raise RuntimeError("/proc/self/status n'a pas de VmHWM (Linux seulement).")


def child(format_key, year, limit, output):
    """Export the first `limit` responses in this process; print the figures as JSON."""
    setup_django()
    from survey.exports.formats import render
    from survey.exports.options import ExportOptions
    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=year)
    if format_key == "none":  # what an export process weighs before exporting
        print(json.dumps({"format": "none", "peak_rss_mb": peak_rss_mb()}))
        return
    last = edition.responses.order_by("pk").values_list("pk", flat=True)[limit - 1]
    selected = edition.responses.filter(pk__lte=last)
    if format_key == "copy":
        print(json.dumps(copy_floor(edition, last, limit, output)))
        return
    started = time.perf_counter()
    first_byte = None
    size = 0
    with open(output, "wb") as handle:
        for chunk in render(format_key, edition, ExportOptions(status="all"), selected):
            if first_byte is None and chunk:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            handle.write(chunk)
    figures = {
        "format": format_key,
        "responses": limit,
        "seconds": round(time.perf_counter() - started, 2),
        "first_byte_seconds": round(first_byte or 0, 2),
        "peak_rss_mb": peak_rss_mb(),
        "bytes": size,
    }
    print(json.dumps(figures))


def copy_floor(edition, last, limit, output):
    """The floor an export is measured against: PostgreSQL's own COPY of one row per response
    with its answers as one jsonb object, streamed to a file by the same client library."""
    from django.db import connection
    from psycopg import sql

    from survey.collection.models import Answer, Response

    query = sql.SQL(
        "COPY (SELECT r.public_id, (SELECT jsonb_object_agg(a.question_id, a.value) "
        "FROM {answers} a WHERE a.response_id = r.id) FROM {responses} r "
        "WHERE r.edition_id = {edition} AND r.id <= {last} ORDER BY r.id) TO STDOUT"
    ).format(
        answers=sql.Identifier(Answer._meta.db_table),
        responses=sql.Identifier(Response._meta.db_table),
        edition=sql.Literal(edition.pk),
        last=sql.Literal(last),
    )
    started = time.perf_counter()
    first_byte = None
    size = 0
    with (
        connection.cursor() as cursor,
        open(output, "wb") as handle,
        cursor.cursor.copy(query) as copy,
    ):
        for block in copy:
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(block)
            handle.write(block)
    return {
        "format": "copy",
        "responses": limit,
        "seconds": round(time.perf_counter() - started, 2),
        "first_byte_seconds": round(first_byte or 0, 2),
        "peak_rss_mb": peak_rss_mb(),
        "bytes": size,
    }


def run_child(format_key, year, limit=0, output=""):
    command = [sys.executable, __file__, "--child", format_key, "--year", str(year)]
    command += ["--limit", str(limit), "--output", str(output)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def ensure_collectivites(count):
    """Bulk-insert synthetic collectivités when the reference data is not there."""
    from survey.collectivites.models import Collectivite
    from survey.enums import CollectiviteKind, PopulationBand

    missing = count - Collectivite.objects.count()
    if missing <= 0:
        return 0
    rng = random.Random(7)
    start = Collectivite.objects.filter(siren__startswith="9").count()
    rows = []
    for n in range(start, start + missing):
        roll = rng.random()
        if roll < 0.96:
            kind = CollectiviteKind.COMMUNE
        elif roll < 0.995:
            kind = CollectiviteKind.EPCI
        else:
            kind = CollectiviteKind.DEPARTEMENT
        population = int(rng.lognormvariate(6.9, 1.3)) * (1 if kind == "commune" else 40)
        departement = f"{rng.randint(1, 95):02d}"
        rows.append(
            Collectivite(
                kind=kind,
                siren=f"9{n:08d}",
                insee_code=f"{departement}{n % 1000:03d}" if kind == "commune" else "",
                name=f"Collectivité synthétique {n}",
                departement_code=departement,
                region_code=rng.choice(REGIONS),
                population=population,
                population_band=PopulationBand.for_population(population),
                search_text=f"collectivite synthetique {n}",
            )
        )
    Collectivite.objects.bulk_create(rows, batch_size=2000)
    return missing


def seed(edition, size):
    from django.core.management import call_command

    existing = edition.responses.count()
    if existing >= size:
        return None
    started = time.perf_counter()
    call_command("seed_responses", f"--count={size - existing}", f"--edition={edition.year}")
    return round(time.perf_counter() - started, 1)


def measure_admin(runs=7):
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from survey.collection.models import Response

    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    changelist = reverse("admin:survey_response_changelist")
    some = Response.objects.order_by("pk").first()
    pages = {
        "liste des réponses": (changelist, {}),
        "liste filtrée (envoyées, communes)": (
            changelist,
            {"status__exact": "submitted", "collectivite__kind__exact": "commune"},
        ),
        "recherche (nom, SIREN, INSEE, adresse)": (changelist, {"q": "synthétique 1234"}),
        "tri par collectivité": (changelist, {"o": "1"}),
        "fiche d'une réponse": (reverse("admin:survey_response_change", args=[some.pk]), {}),
    }
    results = []
    for label, (url, params) in pages.items():
        client.get(url, params)  # warm up
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (label, response.status_code)
        median = round(statistics.median(timings) * 1000)
        results.append({"page": label, "median_ms": median, "queries": len(queries)})
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3600,12000,36000")
    parser.add_argument("--questionnaire", default=str(ROOT / "questionnaires" / "2025.toml"))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.year, args.limit, args.output)
        return

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor != "postgresql":
        print("Attention : mesures sur SQLite ; donnez DATABASE_URL=postgres://… pour PostgreSQL.")
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", args.questionnaire, verbosity=0)
    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=args.year)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    report = {
        "database": vendor,
        "synthetic_collectivites": ensure_collectivites(sizes[-1]),
        "seeded": sizes[-1],
        "seed_seconds": seed(edition, sizes[-1]),
        "load_average_before": os.getloadavg(),
        "runs": [],
    }
    if vendor == "postgresql":
        # A fresh bulk load has no planner statistics yet; a live database has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if report["synthetic_collectivites"]:
        print(f"{report['synthetic_collectivites']} collectivités synthétiques créées.")
    if report["seed_seconds"] is not None:
        print(f"seed_responses jusqu'à {sizes[-1]} réponses : {report['seed_seconds']} s")

    OUT.mkdir(parents=True, exist_ok=True)
    baseline = run_child("none", args.year)["peak_rss_mb"]
    print(f"\nProcessus d'export avant le premier octet : {baseline} Mo de mémoire résidente.")
    for size in sizes:
        exports = [
            run_child(format_key, args.year, size, OUT / f"export.{format_key}")
            for format_key in args.formats.split(",")
        ]
        report["runs"].append({"responses": size, "exports": exports})
        print_exports(size, exports)
    report["baseline_rss_mb"] = baseline
    report["admin"] = measure_admin()
    report["load_average_after"] = os.getloadavg()
    print_admin(sizes[-1], report["admin"])
    print(
        "\nCharge de la machine (load average 1, 5, 15 min) : avant "
        + ", ".join(f"{x:.1f}" for x in report["load_average_before"])
        + " ; après "
        + ", ".join(f"{x:.1f}" for x in report["load_average_after"])
    )
    (OUT / "export_bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


def _number(n):
    return f"{n:,}".replace(",", "\u202f")


def print_exports(size, exports):
    print(f"\n### Exports de {_number(size)} réponses\n")
    print("| format | durée | premier octet | mémoire max (RSS) | taille |")
    print("|---|---:|---:|---:|---:|")
    for row in exports:
        print(
            f"| {row['format']} | {row['seconds']} s | {row['first_byte_seconds']} s "
            f"| {row['peak_rss_mb']} Mo | {row['bytes'] / 1e6:.1f} Mo |"
        )


def print_admin(size, rows):
    print(f"\n### Administration, {_number(size)} réponses en base\n")
    print("| page | médiane | requêtes SQL |")
    print("|---|---:|---:|")
    for row in rows:
        print(f"| {row['page']} | {row['median_ms']} ms | {row['queries']} |")


if __name__ == "__main__":
    main()
