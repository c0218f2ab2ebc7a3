"""A panel's burst on the citizens' poll: gunicorn and PostgreSQL on loopback only.

    .venv/bin/python bench/poll_burst.py [--database-url postgres://root@127.0.0.1:5432/barometre_poll_load]
        [--respondents 1000] [--over 300] [--workers 3] [--threads 4]

Same set-up as bench/load_test.py (its gunicorn, its production settings): the script migrates
a scratch database, loads questionnaires/citoyens-2025.toml, opens the poll around now, sets
the institute's return addresses and quotas (age × sex and région) smaller than the sample,
then starts `--respondents` panel respondents spread evenly over `--over` seconds. Each one
opens the panel link, answers the profile (drawn with a fixed seed), then every page with an
autosave on the way and a pause of 1–3 s between pages, and notes where the server sends them
back (complete, screen-out, quota-full). A probe requests `/healthz` every half second all
along the burst (« healthz during »): the floor of a trivial view under the same load, to read
the poll's latencies against; 50 more after the burst (« healthz after »).

Afterwards it checks, from the database: no quota cell beyond its target, every cell's count
equal to the completes in it, every outcome the server announced recorded, and every
respondent's answers stored in full (5 for those stopped after the profile, 19 otherwise).
Figures: docs/benchmarks.md; raw results: bench/out/poll_burst.json. Exits non-zero when
anything is wrong.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.load_test import (  # noqa: E402
    HOST,
    OUT,
    ROOT,
    create_database,
    free_port,
    percentile,
    server_env,
    start_gunicorn,
)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
AGES = ["age_18_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]
SEXES = ["femme", "homme"]
REGIONS = ["ile_de_france", "auvergne_rhone_alpes", "bretagne", "occitanie", "corse"]
RETURN = "http://127.0.0.1:9/retour?statut={outcome}&id={{pid}}"  # never followed

PAGES = {}  # tests.poll_sample.PAGES, imported once Django is set up
samples = defaultdict(list)
announced = {}
errors = []


def timed(name, call):
    start = time.perf_counter()
    response = call()
    samples[name].append((time.perf_counter() - start) * 1000)
    if response.status_code >= 400:
        errors.append(f"{name}: {response.status_code}")
    return response


def prepare(env, database_url):
    import subprocess

    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [*manage, "load_questionnaire", str(ROOT / "questionnaires" / "citoyens-2025.toml")],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from poll.models import Dimension, Fieldwork, Participation, Quota
    from survey.questionnaire.models import Edition

    edition = Edition.objects.for_year(2025, "sondage-citoyens")
    now = datetime.datetime.now(datetime.UTC)
    edition.opens_at, edition.closes_at = (
        now - datetime.timedelta(days=1),
        now + datetime.timedelta(days=30),
    )
    edition.save()
    Participation.objects.filter(edition=edition).delete()
    Quota.objects.filter(edition=edition).delete()
    Fieldwork.objects.update_or_create(
        edition=edition,
        defaults={
            "institute": "Banc d'essai",
            "complete_url": RETURN.format(outcome="complet"),
            "screenout_url": RETURN.format(outcome="hors-cible"),
            "quotafull_url": RETURN.format(outcome="quota"),
        },
    )
    # Quotas smaller than the sample, so that cells fill during the burst.
    for age in AGES:
        for sex in SEXES:
            Quota.objects.create(
                edition=edition, dimension=Dimension.AGE_SEX, age=age, sex=sex, target=70
            )
    for region in REGIONS:
        Quota.objects.create(edition=edition, dimension=Dimension.REGION, region=region, target=150)
    from tests.poll_sample import PAGES as pages

    PAGES.update(pages)
    return edition


def respondent(base, index, rng):
    session = requests.Session()
    pid = f"P{index:05d}"
    profile = {
        "q-profil_age": "moins_18" if rng.random() < 0.03 else rng.choice(AGES),
        "q-profil_sexe": rng.choice(SEXES),
        "q-profil_region": rng.choice(REGIONS),
        "q-profil_taille_commune": "moins_3500",
        "q-profil_occupation": "employe",
    }
    page = timed(
        "arrive",
        lambda: session.get(f"{base}/sondage/", params={"pid": pid}, allow_redirects=False),
    )
    location = page.headers.get("Location", "")
    for slug in PAGES:
        url = f"{base}/sondage/page/{slug}/"
        form = timed("page GET", lambda url=url: session.get(url))
        token = CSRF_INPUT.search(form.text).group(1)
        data = {
            **PAGES[slug],
            **(profile if slug == "profil" else {}),
            "csrfmiddlewaretoken": token,
        }
        first = next(iter(PAGES[slug]))
        autosaved = {first: data[first], "csrfmiddlewaretoken": token}
        timed("autosave", lambda url=url, autosaved=autosaved: session.post(
            f"{url}autosave/", data=autosaved, headers={"Referer": url}
        ))  # fmt: skip
        gevent.sleep(rng.uniform(1, 3))
        posted = timed("page POST", lambda url=url, data=data: session.post(
            url, data={**data, "action": "continue"}, allow_redirects=False,
            headers={"Referer": url},
        ))  # fmt: skip
        location = posted.headers.get("Location", "")
        if location.startswith("http://127.0.0.1:9/"):
            announced[pid] = (location.split("statut=")[1].split("&")[0], slug)
            return
    errors.append(f"{pid}: never sent back (last: {location})")


def probe_healthz(base, greenlets, every=0.5):
    """GET /healthz every `every` seconds while respondents are still answering."""
    session = requests.Session()
    while not all(greenlet.dead for greenlet in greenlets):
        timed("healthz during", lambda: session.get(f"{base}/healthz", timeout=10))
        gevent.sleep(every)


def verify(edition):
    from django.db.models import Count

    from poll.models import Outcome, Participation, Quota
    from poll.profile import profile_of

    problems = []
    names = {
        Outcome.COMPLETE: "complet",
        Outcome.SCREENED_OUT: "hors-cible",
        Outcome.QUOTA_FULL: "quota",
    }
    participations = list(
        Participation.objects.filter(edition=edition)
        .select_related("response")
        .annotate(answers=Count("response__answers"))
    )
    recorded = {p.panel_id: names.get(p.outcome, p.outcome) for p in participations}
    for pid, (outcome, _) in announced.items():
        if recorded.get(pid) != outcome:
            problems.append(f"{pid}: announced {outcome}, recorded {recorded.get(pid)}")
    counts = Counter()
    for p in participations:
        expected = 5 if announced.get(p.panel_id, ("", "profil"))[1] == "profil" else 19
        if p.answers != expected:
            problems.append(f"{p.panel_id}: {p.answers} answers stored, {expected} expected")
        if p.outcome == Outcome.COMPLETE:
            profile = profile_of(p.response.values_by_code())
            counts[("age_sexe", profile["age"], profile["sex"])] += 1
            counts[("region", profile["region"])] += 1
    for quota in Quota.objects.filter(edition=edition):
        key = (
            ("age_sexe", quota.age, quota.sex)
            if quota.dimension == "age_sexe"
            else ("region", quota.region)
        )
        if quota.completes > quota.target:
            problems.append(f"{quota}: beyond its target")
        if quota.completes != counts[key]:
            problems.append(f"{quota}: {counts[key]} completes in the cell")
    full = sum(1 for q in Quota.objects.filter(edition=edition) if q.completes == q.target)
    return problems, Counter(recorded.values()), full


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://root@127.0.0.1:5432/barometre_poll_load"
    )
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--over", type=float, default=300)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    create_database(args.database_url)
    env = server_env(args.database_url)
    edition = prepare(env, args.database_url)
    port = free_port()
    OUT.mkdir(exist_ok=True)
    server = start_gunicorn(env, port, args.workers, args.threads, OUT / "poll_burst.log")
    base = f"http://{HOST}:{port}"
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        rng = random.Random(14)
        greenlets = [
            gevent.spawn_later(i * args.over / args.respondents, respondent, base, i,
                               random.Random(rng.random()))
            for i in range(args.respondents)
        ]  # fmt: skip
        # The floor under the same load: a trivial view probed all along the burst.
        probe = gevent.spawn(probe_healthz, base, greenlets)
        gevent.joinall(greenlets)
        probe.join()
        for _ in range(50):
            timed("healthz after", lambda: requests.get(f"{base}/healthz", timeout=10))
    finally:
        server.terminate()
        server.wait(timeout=30)
    elapsed = time.perf_counter() - started
    problems, outcomes, full = verify(edition)
    report = {
        "respondents": args.respondents,
        "over_seconds": args.over,
        "elapsed_seconds": round(elapsed, 1),
        "load_average_at_start": load,
        "outcomes": dict(outcomes),
        "quota_cells_full": full,
        "errors": errors[:20],
        "error_count": len(errors),
        "problems": problems[:20],
        "problem_count": len(problems),
        "latency_ms": {
            name: {
                "requests": len(times),
                "p50": round(percentile(sorted(times), 0.5), 1),
                "p95": round(percentile(sorted(times), 0.95), 1),
                "p99": round(percentile(sorted(times), 0.99), 1),
                "max": round(max(times), 1),
            }
            for name, times in sorted(samples.items())
        },
    }
    (OUT / "poll_burst.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if errors or problems else 0)


if __name__ == "__main__":
    main()
