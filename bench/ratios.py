"""Every ratio of issue 16 in one run, on one machine, against floors measured in the same run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench .venv/bin/python bench/ratios.py \\
        [--sizes 3600,36000] [--seconds 10] [--clients 8] [--skip-exports] [--rush]

Use a scratch database: it is migrated, the 2025 questionnaire loaded, responses seeded up to
the largest size (bench/export_bench.py), the collectivités of data/ loaded, and the 2025
edition opened (its dates are changed).

1. Exports (bench/export_bench.py, one subprocess per export): each format's time against a
   PostgreSQL `COPY` of one row per response with its answers as jsonb, taken just before;
   first byte, peak memory at each size.
2. On one gunicorn (gthread, 3 workers x 4 threads, production settings, loopback), with wrk
   and `--clients` connections for `--seconds` each: `/healthz` (the floor of the stack), the
   display of the largest page, its save (the same respondent saving it again and again);
   the save's throughput against /healthz, the display's against the save.
3. Collectivité search (bench/search_latency.py's queries) over HTTP on the same server: p95
   with 1 client and with 10 concurrent clients.
4. With --rush, the 200-respondent rush (bench/load_test.py, 60 s): the p95 of page saves.

Prints a table of target, measure and verdict; writes bench/out/ratios.json.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"  # loopback only
sys.path.insert(0, str(ROOT / "bench"))

import export_bench  # noqa: E402
import search_latency  # noqa: E402

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
EXPORT_FORMATS = {"csv": 2, "long-csv": 3, "json": 3, "xlsx": 3}  # format: allowed x COPY

WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p95_ms": %.2f, "errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(95) / 1000, errors,
    summary.errors.status))
end
"""


# -- 1. Exports ------------------------------------------------------------------------------


def measure_exports(sizes, year=2025):
    """[(size, copy figures, [format figures])], each export in a fresh process."""
    runs = []
    for size in sizes:
        output = OUT / "ratios-export.out"
        copy = export_bench.run_child("copy", year, size, output)
        exports = [
            export_bench.run_child(format_key, year, size, output) for format_key in EXPORT_FORMATS
        ]
        runs.append({"responses": size, "copy": copy, "exports": exports})
    return runs


# -- 2. Save and display on gunicorn -------------------------------------------------------


def server_env():
    return {
        **search_latency.environment(),
        # Every client comes from 127.0.0.1: per-address limits would throttle them as one.
        "RATELIMIT_ENABLE": "0",
    }


def start_server(env, workers=3, threads=4):
    port = search_latency.free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "barometre.wsgi:application",
            "--bind", f"{HOST}:{port}", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--no-control-socket", "--keep-alive", "75",
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    search_latency.wait_until_up(port, server)
    return port, server


def respondent(port, slug, data):
    """A respondent's cookies and the form body of a save of page `slug`, from a real start."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://{HOST}:{port}"
    home = opener.open(f"{base}/").read().decode()
    token = CSRF_INPUT.search(home).group(1)
    opener.open(
        f"{base}/commencer/", urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    )
    page = opener.open(f"{base}/questionnaire/{slug}/").read().decode()
    token = CSRF_INPUT.search(page).group(1)
    body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True)
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    return cookies, body


def wrk(port, path, seconds, clients, method="GET", body=None, cookies=None):
    script = WRK_REPORT
    if method == "POST":
        script = (
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' + script
        )
    if cookies:
        script = f'wrk.headers["Cookie"] = {json.dumps(cookies)}\n' + script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(
            ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "-s", handle.name,
             f"http://{HOST}:{port}{path}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["rps"] = round(figures["requests"] / figures["seconds"], 1)
    if figures["errors"] or figures["bad_status"]:
        raise SystemExit(f"{method} {path}: {figures}")
    return figures


def measure_pages(port, seconds, clients):
    sys.path.insert(0, str(ROOT))
    from save_queries import plausible_post

    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    sections = Edition.objects.of(BAROMETER_SURVEY).get(year=2025).questionnaire()
    largest = max(sections, key=lambda section: len(section.asked))
    cookies, body = respondent(port, largest.slug, plausible_post(largest))
    path = f"/questionnaire/{largest.slug}/"
    wrk(port, "/healthz", 2, clients)  # warm-up of every worker
    wrk(port, path, 2, clients, cookies=cookies)
    return {
        "page": largest.slug,
        "questions": len(largest.asked),
        "healthz": wrk(port, "/healthz", seconds, clients),
        "display": wrk(port, path, seconds, clients, cookies=cookies),
        "save": wrk(port, path, seconds, clients, "POST", body, cookies),
    }


# -- 3. Search -------------------------------------------------------------------------------


def measure_search(env, port, count=2000):
    queries = search_latency.build_queries(env, count)
    paths = [f"/collectivites/recherche?q={urllib.parse.quote(q)}" for q in queries]
    search_latency.timed_requests(port, paths[:200])  # warm-up
    return {
        "one_client": search_latency.summary(search_latency.timed_requests(port, paths)),
        "ten_clients": search_latency.concurrent_requests(port, paths, 10),
    }


# -- 4. The rush -----------------------------------------------------------------------------


def load_test_save_name():
    """The name under which bench/load_test.py records page saves (it patches gevent: its
    constant is read from its text rather than imported)."""
    text = (ROOT / "bench" / "load_test.py").read_text()
    return re.search(r'^SAVE = "([^"]+)"', text, re.MULTILINE).group(1)


def measure_rush(database_url):
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_test.py"), "--database-url", database_url,
         "--users", "200", "--duration", "60", "--ramp", "10"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    report = json.loads((OUT / "load_test.json").read_text())
    return report


# -- Report ----------------------------------------------------------------------------------


def verdict(ok):
    return "atteint" if ok else "non atteint"


def print_report(report):
    lines = ["| cible | mesure | verdict |", "|---|---|---|"]
    for run in report.get("exports", []):
        copy = run["copy"]
        size = run["responses"]
        lines.append(f"| COPY jsonb, {size} réponses (plancher) | {copy['seconds']} s | — |")
        for figures in run["exports"]:
            allowed = EXPORT_FORMATS[figures["format"]]
            ratio = figures["seconds"] / copy["seconds"]
            lines.append(
                f"| {figures['format']}, {size} réponses : ≤ {allowed}× COPY | "
                f"{figures['seconds']} s = {ratio:.1f}× ; premier octet "
                f"{figures['first_byte_seconds']} s ; RSS max {figures['peak_rss_mb']} Mo | "
                f"{verdict(ratio <= allowed and figures['first_byte_seconds'] < 1)} |"
            )
    if report.get("exports"):
        peaks = [f["peak_rss_mb"] for run in report["exports"] for f in run["exports"]]
        lines.append(f"| RSS max ≤ 150 Mo, toutes tailles | {max(peaks)} Mo | "
                     f"{verdict(max(peaks) <= 150)} |")  # fmt: skip
    pages = report.get("pages")
    if pages:
        healthz, display, save = pages["healthz"], pages["display"], pages["save"]
        ratio = save["rps"] / healthz["rps"]
        lines.append(
            f"| enregistrement de « {pages['page']} » ({pages['questions']} questions) "
            f"≥ 0,25× /healthz | {save['rps']} req/s contre {healthz['rps']} = {ratio:.2f}× "
            f"(p95 {save['p95_ms']} ms) | {verdict(ratio >= 0.25)} |"
        )
        ratio = display["rps"] / save["rps"]
        lines.append(
            f"| affichage ≥ enregistrement | {display['rps']} req/s = {ratio:.2f}× "
            f"(p95 {display['p95_ms']} ms) | {verdict(ratio >= 1)} |"
        )
    search = report.get("search")
    if search:
        one, ten = search["one_client"]["p95_ms"], search["ten_clients"]["p95_ms"]
        lines.append(f"| recherche p95 ≤ 20 ms, 1 client | {one} ms | {verdict(one <= 20)} |")
        lines.append(f"| recherche p95 ≤ 40 ms, 10 clients | {ten} ms | {verdict(ten <= 40)} |")
    rush = report.get("rush")
    if rush:
        save = rush["requests"][load_test_save_name()]
        lines.append(
            f"| ruée de 200 répondants : p95 des enregistrements ≤ 150 ms | {save['p95_ms']} ms "
            f"({save['per_second']} req/s) | {verdict(save['p95_ms'] <= 150)} |"
        )
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3600,36000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--rush", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk est requis (apt-get install wrk).")
    env = server_env()
    export_bench.setup_django()
    from django.core.management import call_command
    from django.db import connection

    from survey.collectivites.models import Collectivite
    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    call_command("migrate", verbosity=0)
    # Served by whitenoise with the production settings' manifest.
    search_latency.manage(env, "collectstatic", "--noinput", "-v0")
    call_command("load_questionnaire", str(ROOT / "questionnaires" / "2025.toml"), verbosity=0)
    if not Collectivite.objects.filter(siren__lt="9").exists():
        call_command("load_collectivites", verbosity=0)
    edition = Edition.objects.of(BAROMETER_SURVEY).get(year=2025)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    export_bench.ensure_collectivites(sizes[-1])
    export_bench.seed(edition, sizes[-1])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    year = time.localtime().tm_year
    call_command(
        "set_edition_dates", "--year", "2025", "--opens-at", "2025-01-01T00:00:00+01:00",
        "--closes-at", f"{year + 1}-12-31T23:59:59+01:00",
    )  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"machine": f"{os.cpu_count()} cœurs", "load_average_before": os.getloadavg()}
    if not args.skip_exports:
        report["exports"] = measure_exports(sizes)
    port, server = start_server(env)
    try:
        report["pages"] = measure_pages(port, args.seconds, args.clients)
        report["search"] = measure_search(env, port)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.rush:
        # Its own scratch database, next to this one: it checks every answer it saved.
        report["rush"] = measure_rush(os.environ["DATABASE_URL"].rstrip("/") + "_rush")
    report["load_average_after"] = os.getloadavg()
    (OUT / "ratios.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)


if __name__ == "__main__":
    main()
