#!/usr/bin/env python3
"""Latency of GET /collectivites/recherche on the full list, over real HTTP on loopback.

    DATABASE_URL=postgres://root@127.0.0.1:5432/barometre_bench \\
        .venv/bin/python bench/search_latency.py [--requests 3000] [--skip-load]

Migrates the database and loads data/collectivites-2025.csv.gz (skip with --skip-load),
starts gunicorn on 127.0.0.1 (production settings: DEBUG off), then sends, one at a time
over a kept-alive connection, the queries a person typing would send: every prefix of
real names from 2 letters on, postcodes, INSEE codes, SIRENs, « name + département ».
The same number of requests to /healthz (one SELECT 1) gives the floor of the stack on this
machine, so that the search's cost can be read as a difference. A second run sends from 4
threads to 2 gunicorn workers. Results go to bench/out/search_latency.json and stdout.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment():
    env = dict(os.environ)
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be migrated and loaded).")
    env.update(
        DJANGO_SETTINGS_MODULE="barometre.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY="bench-only-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE="0",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def build_queries(env, count, seed=2025):
    """What people type, drawn from the loaded list with a fixed seed."""
    script = (
        "import json, django; django.setup(); "
        "from survey.collectivites.models import Collectivite as C; "
        "print(json.dumps(list(C.objects.values_list("
        "'name', 'kind', 'siren', 'insee_code', 'postcodes', 'departement_code'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = json.loads(result.stdout)
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        name, kind, siren, insee, postcodes, departement = rng.choice(rows)
        roll = rng.random()
        if roll < 0.70:
            # Typing the name: each prefix from 2 characters, as the combobox sends them.
            queries += [name[:n] for n in range(2, len(name) + 1)][:12]
        elif roll < 0.80 and postcodes:
            queries.append(postcodes.split()[0])
        elif roll < 0.85 and insee:
            queries.append(insee)
        elif roll < 0.92 and siren:
            queries.append(siren)
        elif departement:
            queries.append(f"{name} {departement}")
    return queries[:count]


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summary(timings):
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "max_ms": round(max(timings), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
    }


def timed_requests(port, paths):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    timings = []
    for path in paths:
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        timings.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
    connection.close()
    return timings


def concurrent_requests(port, paths, threads):
    chunks = [paths[i::threads] for i in range(threads)]
    results = [[] for _ in range(threads)]

    def run(index):
        results[index] = timed_requests(port, chunks[index])

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    timings = [t for chunk in results for t in chunk]
    return {**summary(timings), "requests_per_second": round(len(timings) / elapsed)}


def wait_until_up(port, server):
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before answering")
        try:
            timed_requests(port, ["/healthz"])
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 10 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    env = environment()
    if not args.skip_load:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_collectivites")
    queries = build_queries(env, args.requests)
    search_paths = [f"/collectivites/recherche?q={urllib.parse.quote(q)}" for q in queries]
    health_paths = ["/healthz"] * len(search_paths)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "barometre.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket",
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        wait_until_up(port, server)
        timed_requests(port, search_paths[:200] + health_paths[:200])  # warm-up
        report = {
            "machine": f"{os.cpu_count()} cores",
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "rows": "full list (data/collectivites-2025.csv.gz)",
            "sequential": {
                "search": summary(timed_requests(port, search_paths)),
                "healthz": summary(timed_requests(port, health_paths)),
            },
            "concurrent_4_clients_2_workers": {
                "search": concurrent_requests(port, search_paths, 4),
                "healthz": concurrent_requests(port, health_paths, 4),
            },
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "search_latency.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
