"""The deadline rush: simulated respondents against gunicorn and PostgreSQL, on loopback only.

    .venv/bin/python bench/load_test.py [--database-url postgres://root@127.0.0.1:5432/barometre_load]
        [--users 200] [--duration 240] [--ramp 20] [--think-min 3] [--think-max 9]
        [--workers 3] [--threads 4]

The script migrates the database (it creates it when missing), loads the questionnaires (2023.toml,
then 2025.toml that continues it), opens the 2025 edition (its dates are changed: use a scratch
database), collects the static files, starts gunicorn on 127.0.0.1 with production settings
(DJANGO_DEBUG=0, plain HTTP), then runs locust in this process: every simulated respondent starts a
response, answers each page (sometimes « reprendre plus tard » first, then coming back through the
personal link in a fresh cookie jar, as from another device; sometimes with background autosaves),
sends the response, then starts another one, until the time is up. Two probes hit /healthz all
along, to compare a save with a trivial view measured under the same load.

Afterwards it checks that no request failed and that every response holds exactly the answers
its respondent last saved (compared with the answers kept in memory: number and values of the
Answer rows). It prints the figures, writes them to bench/out/load_test.json and exits non-zero
when anything is wrong. Figures are in docs/benchmarks.md.
"""

# locust patches the standard library for gevent: import it before anything else.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import decimal  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, between, constant, task  # noqa: E402
from locust.contrib.fasthttp import FastHttpSession  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"  # loopback only, never anything else
QUESTIONNAIRES = [ROOT / "questionnaires" / "2023.toml", ROOT / "questionnaires" / "2025.toml"]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
RESUME_LINK = re.compile(r'data-testid="resume-link" href="[^"]*/reprendre/([^"/]+)/"')

SAVE = "POST page (save)"
AUTOSAVE = "POST autosave"
HEALTHZ = "GET /healthz"

TEXTS = [
    "Projet d’agent conversationnel pour l’accueil des usagers, en test à la médiathèque.",
    "Analyse des consommations d’énergie des bâtiments communaux ; tableau de bord en régie.",
    "Aucun pour l’instant — nous attendons un cadre de l’État et un retour d’expérience.",
    "Transcription des conseils municipaux (Whisper), relue par le service communication.",
    "Détection des dépôts sauvages à partir des photos signalées par les habitants 🚮",
    "Tri du courrier entrant et pré-rédaction des réponses, validées par un agent.",
]


# -- The questionnaire, as plain data for the simulated browsers --------------------------------


@dataclass
class QuestionData:
    code: str
    kind: str
    required: bool
    choices: list  # [(code, is_other, is_exclusive)]
    items: list  # matrix item codes
    max_choices: int | None
    min_value: decimal.Decimal | None
    max_value: decimal.Decimal | None
    max_length: int | None
    parent: str | None
    parent_kind: str | None
    condition_codes: list


@dataclass
class PageData:
    slug: str
    questions: list


def read_questionnaire():
    from survey.questionnaire.models import BAROMETER_SURVEY, Edition

    pages = []
    for section in Edition.objects.current(BAROMETER_SURVEY).questionnaire():
        questions = []
        for q in section.asked:
            parent = q.condition_question
            questions.append(
                QuestionData(
                    code=q.code,
                    kind=q.kind,
                    required=q.required,
                    choices=[(c.code, c.is_other, c.is_exclusive) for c in q.active_choices],
                    items=[item.code for item in q.active_items],
                    max_choices=q.max_choices,
                    min_value=q.min_value,
                    max_value=q.max_value,
                    max_length=q.max_length,
                    parent=parent.code if parent else None,
                    parent_kind=parent.kind if parent else None,
                    condition_codes=list(q.condition_codes),
                )
            )
        pages.append(PageData(section.slug, questions))
    return pages


# -- What a respondent types, and what must then be stored ---------------------------------------
#
# The expected values are written here in the stored shapes documented in
# survey/questionnaire/models.py, independently of the application's form code; only the
# display-condition rule (a question is asked when its parent is asked and answered with one of
# the listed codes) is restated.


def codes_of(kind, value):
    if value is None:
        return set()
    if kind in ("single_choice", "scale"):
        return {value["choice"]}
    if kind == "multiple_choice":
        return set(value["choices"])
    if kind == "yes_no":
        return {"oui" if value else "non"}
    return set()


def is_shown(question, values, by_code):
    if question.parent is None:
        return True
    parent = by_code[question.parent]
    if not is_shown(parent, values, by_code):
        return False
    return bool(
        codes_of(question.parent_kind, values.get(question.parent)) & set(question.condition_codes)
    )


def some_text(limit, rng, multiline):
    text = rng.choice(TEXTS)
    if multiline and rng.random() < 0.5:
        text += "\r\n" + rng.choice(TEXTS)
    text = text[: limit or 200]
    # Surrounding blanks are dropped on saving; what is inside is kept as typed, but for line
    # breaks, which browsers post as "\r\n" and the questionnaire stores as "\n".
    posted = rng.choice(["", " ", "\n"]) + text + rng.choice(["", "  "])
    return posted, text.strip().replace("\r\n", "\n")


def number_text(number, rng):
    text = str(number)
    if number >= 1000 and rng.random() < 0.3:
        text = f"{number:,}".replace(",", "\u202f")  # as French keyboards and copy-pastes give it
    return text


def plan_answer(question, rng, answer):
    """(POST fields, expected stored value) for one question; value None means no answer."""
    name = f"q-{question.code}"
    plain = [c for c in question.choices if not c[1] and not c[2]]
    other_code = next((c[0] for c in question.choices if c[1]), None)
    fields = []
    has_other_input = other_code is not None
    if question.kind in ("single_choice", "scale"):
        if not answer:
            return ([(f"{name}-other", "")] if has_other_input else []), None
        code = other_code if other_code and rng.random() < 0.15 else rng.choice(plain)[0]
        fields.append((name, code))
        value = {"choice": code}
        if code == other_code:
            typed, kept = some_text(120, rng, False)
            fields.append((f"{name}-other", typed))
            value["other"] = kept
        elif has_other_input:
            # Text typed in « précisez » without ticking « Autre » is not an answer.
            fields.append((f"{name}-other", "oubli" if rng.random() < 0.1 else ""))
        return fields, value
    if question.kind == "multiple_choice":
        if not answer:
            return ([(f"{name}-other", "")] if has_other_input else []), None
        exclusive = [c[0] for c in question.choices if c[2]]
        if exclusive and rng.random() < 0.1:
            chosen = [rng.choice(exclusive)]
        else:
            pool = plain + ([c for c in question.choices if c[1]])
            most = min(question.max_choices or 4, len(pool))
            chosen = [c[0] for c in rng.sample(pool, rng.randint(1, most))]
        ordered = [c[0] for c in question.choices if c[0] in chosen]
        fields += [(name, code) for code in ordered]
        value = {"choices": ordered}
        if other_code in ordered:
            typed, kept = some_text(120, rng, False)
            fields.append((f"{name}-other", typed))
            value["other"] = kept
        elif has_other_input:
            fields.append((f"{name}-other", ""))
        return fields, value
    if question.kind == "matrix":
        scale = [c[0] for c in question.choices]
        value = {}
        for item in question.items:
            if answer == "all" or (answer and rng.random() < 0.8):
                value[item] = rng.choice(scale)
                fields.append((f"{name}-{item}", value[item]))
        return fields, value or None
    if not answer:
        return [(name, "")], None
    if question.kind == "yes_no":
        yes = rng.random() < 0.5
        return [(name, "oui" if yes else "non")], yes
    if question.kind == "integer":
        low = int(question.min_value or 0)
        high = int(question.max_value) if question.max_value is not None else 5000
        number = rng.randint(low, high)
        return [(name, number_text(number, rng))], number
    if question.kind == "decimal":
        low = int((question.min_value or 0) * 10)
        high = int((question.max_value if question.max_value is not None else 1000) * 10)
        tenths = rng.randint(low, high)
        text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
        return [(name, text.replace(".", ","))], text
    typed, kept = some_text(question.max_length, rng, question.kind == "long_text")
    return [(name, typed)], kept


@dataclass
class Record:
    """One simulated response: its resume token and the answers it must hold."""

    siren: str = field(default_factory=lambda: next_siren())
    token: str = ""
    values: dict = field(default_factory=dict)
    saves: int = 0
    submitted: bool = False
    uncertain: bool = False  # a save failed: what the server kept cannot be known


_SIRENS = itertools.count(1)


def next_siren():
    """A distinct, valid (Luhn) SIREN for each simulated « autre structure »."""
    base = f"9{next(_SIRENS):07d}"
    for key in range(10):
        digits = [int(d) for d in base + str(key)]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                    for i, d in enumerate(digits))  # fmt: skip
        if total % 10 == 0:
            return base + str(key)
    raise AssertionError("unreachable")


@dataclass
class PagePlan:
    """The respondent's answers to one page, in page order."""

    rows: list  # [(question, shown, fields, value)]

    def fields(self, upto=None):
        rows = self.rows if upto is None else self.rows[:upto]
        return [pair for question, shown, fields, value in rows if shown for pair in fields]

    def codes(self, upto=None):
        rows = self.rows if upto is None else self.rows[:upto]
        return [question.code for question, shown, fields, value in rows if shown]


def plan_page(page, saved, by_code, rng, complete):
    """Answer the page as a respondent would: what is shown depends on what is ticked above."""
    current = dict(saved)
    rows = []
    for question in page.questions:
        shown = is_shown(question, current, by_code)
        if not shown:
            rows.append((question, False, [], None))
            continue
        if complete and question.required:
            answer = "all"
        else:
            answer = rng.random() < (0.85 if complete else 0.5)
        fields, value = plan_answer(question, rng, answer)
        current[question.code] = value
        rows.append((question, True, fields, value))
    return PagePlan(rows)


def apply_save(values, page, posted, by_code, partial):
    """What the response holds after a save of `posted` ({code: value}) on `page`.

    A page save covers every question of the page; an autosave only the questions it posts.
    Answers of questions that end up hidden are kept untouched.
    """
    on_page = {q.code for q in page.questions}
    if partial:
        touched = [q for q in page.questions if q.code in posted]
    else:
        # A question whose condition rests on an earlier page is not even on the page when
        # that condition is false.
        touched = [
            q
            for q in page.questions
            if q.parent is None or q.parent in on_page or is_shown(q, values, by_code)
        ]
    merged = dict(values)
    for q in touched:
        merged[q.code] = posted.get(q.code)
    result = dict(values)
    for q in touched:
        if not is_shown(q, merged, by_code):
            continue
        if merged[q.code] is None:
            result.pop(q.code, None)
        else:
            result[q.code] = merged[q.code]
    return result


# -- The simulated browsers -----------------------------------------------------------------------


class Run:
    """Shared state of one run, filled in by main() before the users start."""

    pages: list = []
    by_code: dict = {}
    records: list = []
    deadline = 0.0
    samples = defaultdict(list)  # name -> [(start time, milliseconds, ok)]
    failures = []


def on_request(request_type, name, response_time, exception, start_time=None, **kwargs):
    Run.samples[name].append((start_time or time.time(), response_time, exception is None))
    if exception is not None:
        Run.failures.append(f"{name}: {exception!r}"[:300])


def on_user_error(user_instance, exception, tb, **kwargs):
    Run.failures.append(f"user error: {exception!r}"[:300])


class Respondent(FastHttpUser):
    wait_time = between(3, 9)  # replaced from the command line
    # Connections are never reused across simulated respondents, like distinct browsers.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self):
        self.rng = random.Random()

    def pause(self):
        if time.time() > Run.deadline:
            raise StopUser()
        self.wait()
        if time.time() > Run.deadline:
            raise StopUser()

    def new_device(self):
        self.client = FastHttpSession(
            base_url=self.host,
            request_event=self.environment.events.request,
            user=self,
            concurrency=1,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
        )

    def expect(self, method, path, name, status, location=None, **kwargs):
        """One request that must answer `status` (and redirect to `location`); its body."""
        kwargs.setdefault("allow_redirects", False)
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as r:
            if r.status_code != status:
                error = getattr(r, "error", None) or r.status_code
                r.failure(f"{method} {path}: {error!r} instead of {status}")
                raise StopTaskError()
            if location is not None:
                got = urlsplit(r.headers.get("Location", "")).path
                if got != location:
                    r.failure(f"{method} {path}: redirected to {got!r} instead of {location!r}")
                    raise StopTaskError()
            r.success()
            return r.text or "", r

    def post_form(self, path, name, fields, status, location=None, headers=None):
        return self.expect(
            "POST",
            path,
            name,
            status,
            location,
            data=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    @task
    def respond(self):
        # A failed request is already counted: start afresh with a new response.
        with contextlib.suppress(StopTaskError):
            self.one_response()

    def one_response(self):
        if time.time() > Run.deadline:
            raise StopUser()
        self.new_device()
        record = Record()
        html, _ = self.expect("GET", "/", "GET /", 200)
        csrf = CSRF_INPUT.search(html).group(1)
        self.pause()
        self.post_form(
            "/commencer/",
            "POST /commencer/",
            [("csrfmiddlewaretoken", csrf), ("email", "")],
            302,
            "/questionnaire/lien/",
        )
        html, _ = self.expect("GET", "/questionnaire/lien/", "GET /questionnaire/lien/", 200)
        record.token = RESUME_LINK.search(html).group(1)
        Run.records.append(record)
        for index, page in enumerate(Run.pages):
            after = (
                f"/questionnaire/{Run.pages[index + 1].slug}/"
                if index + 1 < len(Run.pages)
                else "/questionnaire/recapitulatif/"
            )
            self.pause()
            if self.rng.random() < 0.35:
                self.fill(page, record, complete=False)
                self.pause()
                self.post_save(page, record, "later", "/questionnaire/lien/")
                self.expect("GET", "/questionnaire/lien/", "GET /questionnaire/lien/", 200)
                self.pause()
                if self.rng.random() < 0.5:
                    self.new_device()
                    self.expect(
                        "GET",
                        f"/reprendre/{record.token}/",
                        "GET /reprendre/<token>/",
                        302,
                        f"/questionnaire/{page.slug}/",
                    )
            self.fill(page, record, complete=True)
            self.pause()
            self.post_save(page, record, "continue", after)
        self.pause()
        html, _ = self.expect(
            "GET", "/questionnaire/recapitulatif/", "GET /questionnaire/recapitulatif/", 200
        )
        csrf = CSRF_INPUT.search(html).group(1)
        self.pause()
        self.post_form(
            "/questionnaire/recapitulatif/",
            "POST /questionnaire/recapitulatif/ (send)",
            [("csrfmiddlewaretoken", csrf)],
            302,
            "/questionnaire/envoye/",
        )
        record.submitted = True
        self.expect("GET", "/questionnaire/envoye/", "GET /questionnaire/envoye/", 200)

    def fill(self, page, record, complete):
        """Open the page, answer it; maybe autosave part of it on the way, as the script does."""
        html, _ = self.expect("GET", f"/questionnaire/{page.slug}/", "GET page", 200)
        self.csrf = CSRF_INPUT.search(html).group(1)
        self.version = VERSION_INPUT.search(html).group(1)
        self.plan = plan_page(page, record.values, Run.by_code, self.rng, complete)
        if self.rng.random() < 0.3:
            upto = self.rng.randint(1, len(page.questions))
            if self.plan.codes(upto):
                self.pause()
                self.post_autosave(page, record, upto)

    def post_autosave(self, page, record, upto):
        """Background save of the questions answered so far, as static/survey/journey.js does."""
        fields = self.plan.fields(upto)
        posted_names = {name for name, _ in fields}
        # The script posts every field of an edited question, an unticked one as empty.
        for question, shown, _, _ in self.plan.rows[:upto]:
            if shown and not any(
                n == f"q-{question.code}" or n.startswith(f"q-{question.code}-")
                for n in posted_names
            ):
                fields.append((f"q-{question.code}", ""))
        fields.append(("version", self.version))
        posted = {q.code: value for q, shown, _, value in self.plan.rows[:upto] if shown}
        record.uncertain = True
        body, _ = self.post_form(
            f"/questionnaire/{page.slug}/autosave/",
            AUTOSAVE,
            fields,
            200,
            headers={"X-CSRFToken": self.csrf, "Accept": "application/json"},
        )
        answer = json.loads(body)
        if not answer.get("saved") or answer.get("errors"):
            Run.failures.append(f"autosave of {page.slug} refused: {answer}"[:300])
            raise StopTaskError()
        self.version = str(answer["version"])
        record.values = apply_save(record.values, page, posted, Run.by_code, partial=True)
        record.saves += 1
        record.uncertain = False

    def post_save(self, page, record, action, location):
        fields = [("csrfmiddlewaretoken", self.csrf), ("version", self.version)]
        fields += self.plan.fields() + [("action", action)]
        if page is Run.pages[0]:  # the first page also names the structure that answers
            fields += [("other_structure", "on"), ("other_name", f"Structure {record.siren}"),
                       ("other_siren", record.siren)]  # fmt: skip
        posted = {q.code: value for q, shown, _, value in self.plan.rows if shown}
        record.uncertain = True
        self.post_form(f"/questionnaire/{page.slug}/", SAVE, fields, 302, location)
        record.values = apply_save(record.values, page, posted, Run.by_code, partial=False)
        record.saves += 1
        record.uncertain = False


class StopTaskError(Exception):
    """A request failed (already recorded): abandon this response."""


class HealthProbe(FastHttpUser):
    fixed_count = 2
    wait_time = constant(0.2)

    @task
    def healthz(self):
        if time.time() > Run.deadline:
            raise StopUser()
        with self.client.get("/healthz", name=HEALTHZ, catch_response=True) as r:
            if r.status_code != 200 or r.text != "ok":
                r.failure(f"/healthz: {r.status_code}")


# -- Database, server, run, verification ---------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(database_url):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "barometre.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE": "0",  # plain HTTP on loopback; TLS is the proxy's job in production
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        # Every simulated respondent comes from 127.0.0.1: per-address limits would throttle
        # them all as one.
        "RATELIMIT_ENABLE": "0",
    }


def create_database(database_url):
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    maintenance = url._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Database {name} created.")


def prepare(env):
    now = datetime.datetime.now(datetime.UTC)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["load_questionnaire", *map(str, QUESTIONNAIRES)],
        [
            "set_edition_dates",
            "--year",
            "2025",
            "--opens-at",
            (now - datetime.timedelta(days=30)).isoformat(timespec="seconds"),
            "--closes-at",
            (now + datetime.timedelta(days=30)).isoformat(timespec="seconds"),
        ],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run([*manage, *args], env=env, cwd=ROOT, check=True)


def start_gunicorn(env, port, workers, threads, log):
    command = [
        sys.executable, "-m", "gunicorn", "barometre.wsgi:application",
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--no-control-socket", "--timeout", "60",
        # Longer than any pause between two requests of a respondent: otherwise gunicorn may
        # close an idle connection just as the client sends on it (see docs/operations.md).
        "--keep-alive", "75",
        "--error-logfile", str(log), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def figures(window_start, window_end):
    """Per request name: count, rate and latency percentiles over the steady window."""
    table = {}
    seconds = window_end - window_start
    for name, samples in sorted(Run.samples.items()):
        times = sorted(ms for start, ms, ok in samples if window_start <= start <= window_end)
        if not times:
            continue
        table[name] = {
            "requests": len(times),
            "per_second": round(len(times) / seconds, 1),
            "p50_ms": round(percentile(times, 0.50), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "max_ms": round(times[-1], 1),
        }
    total = sum(len([s for s in samples if window_start <= s[0] <= window_end])
                for samples in Run.samples.values())  # fmt: skip
    return table, round(total / seconds, 1)


def verify(started_at):
    """Every response holds exactly what its respondent last saved; nothing else was created."""
    from survey.collection.models import Answer, Response, ResumeToken, hash_token
    from survey.enums import ResponseStatus

    problems = []
    tokens = {
        t.token_hash: t.respondent.response_id
        for t in ResumeToken.objects.select_related("respondent").filter(created_at__gte=started_at)
    }
    stored = defaultdict(dict)
    rows = defaultdict(int)
    for response_id, code, value in Answer.objects.filter(
        response_id__in=tokens.values()
    ).values_list("response_id", "question__code", "value"):
        stored[response_id][code] = value
        rows[response_id] += 1
    statuses = dict(Response.objects.filter(pk__in=tokens.values()).values_list("pk", "status"))
    checked = answers = 0
    for record in Run.records:
        response_id = tokens.get(hash_token(record.token))
        if response_id is None:
            problems.append(f"token {record.token[:6]}…: no response")
            continue
        if record.uncertain:
            continue
        checked += 1
        answers += len(record.values)
        if rows[response_id] != len(record.values):
            problems.append(
                f"response {response_id}: {rows[response_id]} answers stored, "
                f"{len(record.values)} expected"
            )
        for code in sorted(set(record.values) | set(stored[response_id])):
            if stored[response_id].get(code) != record.values.get(code):
                problems.append(
                    f"response {response_id} {code}: stored {stored[response_id].get(code)!r}, "
                    f"expected {record.values.get(code)!r}"
                )
        wanted = ResponseStatus.SUBMITTED if record.submitted else ResponseStatus.DRAFT
        if statuses[response_id] != wanted:
            problems.append(f"response {response_id}: {statuses[response_id]}, expected {wanted}")
    created = Response.objects.filter(created_at__gte=started_at).count()
    if created != len(Run.records):
        problems.append(f"{created} responses created, {len(Run.records)} started")
    return {
        "responses_started": len(Run.records),
        "responses_checked": checked,
        "responses_submitted": sum(r.submitted for r in Run.records),
        "uncertain": sum(r.uncertain for r in Run.records),
        "answers_compared": answers,
        "saves": sum(r.saves for r in Run.records),
        "problems": problems,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://root@127.0.0.1:5432/barometre_load")
    parser.add_argument("--users", type=int, default=200, help="simulated respondents")
    parser.add_argument("--duration", type=int, default=240, help="seconds of load after ramp-up")
    parser.add_argument("--ramp", type=int, default=20, help="seconds to start every user")
    # A respondent's pause between two requests: about five times a real agent's pace.
    parser.add_argument("--think-min", type=float, default=3.0)
    parser.add_argument("--think-max", type=float, default=9.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The load test runs against PostgreSQL: give a postgres:// URL.")

    OUT.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url)
    create_database(args.database_url)
    prepare(env)
    # This process reads the questionnaire and checks the answers with the server's settings.
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone

    Run.pages = read_questionnaire()
    Run.by_code = {q.code: q for page in Run.pages for q in page.questions}
    connections.close_all()

    port = free_port()
    log = OUT / "load_test_gunicorn.log"
    log.write_text("")
    server = start_gunicorn(env, port, args.workers, args.threads, log)
    Respondent.wait_time = between(args.think_min, args.think_max)
    environment = Environment(user_classes=[Respondent, HealthProbe], host=f"http://{HOST}:{port}")
    environment.events.request.add_listener(on_request)
    environment.events.user_error.add_listener(on_user_error)
    runner = environment.create_local_runner()
    started_at = timezone.now()
    began = time.time()
    Run.deadline = began + args.ramp + args.duration
    try:
        total = args.users + HealthProbe.fixed_count
        runner.start(total, spawn_rate=total / args.ramp)
        gevent.sleep(args.ramp + args.duration)
        # Users stop by themselves at the deadline, after their request in flight.
        for _ in range(120):
            if runner.user_count == 0:
                break
            gevent.sleep(0.5)
        stragglers = runner.user_count
        runner.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)

    table, throughput = figures(began + args.ramp, Run.deadline)
    result = verify(started_at)
    errors = sum(1 for samples in Run.samples.values() for s in samples if not s[2])
    server_errors = [line for line in log.read_text().splitlines()
                     if "Traceback" in line or "ERROR" in line]  # fmt: skip
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "users": args.users,
        "ramp_s": args.ramp,
        "steady_s": args.duration,
        "think_s": [args.think_min, args.think_max],
        "gunicorn": f"{args.workers} workers × {args.threads} threads (gthread)",
        "requests_per_second": throughput,
        "requests": table,
        "failed_requests": errors,
        "failures_sample": Run.failures[:20],
        "server_log_errors": server_errors[:20],
        "users_still_running_at_stop": stragglers,
        "verification": result,
    }
    (OUT / "load_test.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    ok = not errors and not Run.failures and not server_errors and not result["problems"]
    ok = ok and not result["uncertain"] and not stragglers
    print("RESULT:", "OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


def print_report(report):
    print(f"\n{report['users']} respondents, {report['steady_s']} s after a {report['ramp_s']} s "
          f"ramp-up, think time {report['think_s'][0]}–{report['think_s'][1]} s, "
          f"gunicorn {report['gunicorn']}")  # fmt: skip
    print(f"throughput (steady window): {report['requests_per_second']} requests/s")
    print(f"{'request':<44}{'count':>8}{'/s':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for name, row in report["requests"].items():
        print(f"{name:<44}{row['requests']:>8}{row['per_second']:>8}{row['p50_ms']:>9}"
              f"{row['p95_ms']:>9}{row['p99_ms']:>9}{row['max_ms']:>9}")  # fmt: skip
    result = report["verification"]
    print(f"failed requests: {report['failed_requests']}; server log errors: "
          f"{len(report['server_log_errors'])}")  # fmt: skip
    for line in report["failures_sample"] + report["server_log_errors"]:
        print("  ", line)
    print(f"responses started {result['responses_started']}, submitted "
          f"{result['responses_submitted']}, saves {result['saves']}, checked "
          f"{result['responses_checked']} with {result['answers_compared']} answers: "
          f"{len(result['problems'])} differences")  # fmt: skip
    for line in result["problems"][:20]:
        print("  ", line)


if __name__ == "__main__":
    main()
