import os
import shutil

import pytest
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread; live_server is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Hypothesis: the full count of examples in CI (`ci`, Hypothesis' default of 100), a fifth of it
# on a developer's machine (`dev`). Tests that ask for another count scale it with
# `tests.helpers.fuzz.examples`. HYPOTHESIS_PROFILE chooses; CI (.ci/run) sets CI_REQUIRE_BROWSER.
hypothesis_settings.register_profile("ci", max_examples=100)
hypothesis_settings.register_profile("dev", max_examples=20)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI_REQUIRE_BROWSER") == "1" else "dev")
)


def pytest_collection_modifyitems(items):
    """A test that drives Chromium is marked `browser` (`make test` runs those as a step of
    their own, `make test-fast` leaves them out): every test of a tests/test_browser_*.py file,
    and every test that asks for Playwright's `page`."""
    for item in items:
        if item.path.name.startswith("test_browser_") or "page" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.browser)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Browser tests are required: a missing Chromium fails them rather than skipping them.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium est introuvable ({CHROMIUM}) : apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture
def small_survey(db):
    """An open edition with two pages, a required question, a condition and an "other" choice."""
    from survey.enums import QuestionKind
    from tests.factories import (
        CollectiviteFactory,
        EditionFactory,
        QuestionFactory,
        SectionFactory,
    )

    edition = EditionFactory(year=2025, title="Baromètre de test")
    profil = SectionFactory(edition=edition, position=1, slug="profil", title="Votre profil")
    usages = SectionFactory(edition=edition, position=2, slug="usages", title="Vos usages")
    QuestionFactory(
        section=profil, position=1, code="profil_fonction", required=True,
        kind=QuestionKind.SINGLE_CHOICE, text="Quelle est votre fonction ?",
        choices=["direction", "dsi", ("autre", {"is_other": True})],
    )  # fmt: skip
    QuestionFactory(
        section=profil, position=2, code="profil_agents", kind=QuestionKind.INTEGER,
        text="Combien d'agents compte votre collectivité ?", min_value=0,
    )  # fmt: skip
    usage = QuestionFactory(
        section=usages, position=1, code="usage_ia", required=True,
        kind=QuestionKind.SINGLE_CHOICE, text="Utilisez-vous l'IA ?",
        choices=["oui", "non", ("nsp", {"is_dont_know": True})],
    )  # fmt: skip
    QuestionFactory(
        section=usages, position=2, code="usage_domaines", required=True,
        kind=QuestionKind.MULTIPLE_CHOICE, text="Dans quels domaines ?",
        condition_question=usage, condition_codes=["oui"],
        choices=["mobilite", "eau", ("nsp", {"is_exclusive": True, "is_dont_know": True})],
    )  # fmt: skip
    QuestionFactory(
        section=usages, position=3, code="usage_description", kind=QuestionKind.LONG_TEXT,
        text="Décrivez vos projets.", max_length=2000,
    )  # fmt: skip
    CollectiviteFactory(name="Villeurbanne", siren="216902641", population=150000)
    CollectiviteFactory(name="Vaulx-en-Velin", siren="216902567", population=50000)
    return edition


@pytest.fixture
def journey_response(client):
    """A response sent through the pages of the sample questionnaire (tests/sample.py), with
    answers that exports must type, label and neutralise: (edition, response)."""
    from django.urls import reverse

    from survey.collection.models import Response
    from tests.factories import CollectiviteFactory
    from tests.sample import make_questionnaire

    edition = make_questionnaire()
    CollectiviteFactory(name="Lyon", siren="216901231", insee_code="69123", population=520000)
    client.post(reverse("start"))
    pages = {
        "usages": {
            "collectivite": "216901231",
            "q-usage_ia": "oui",
            "q-usage_domaines": ["eau", "autre"],
            "q-usage_domaines-other": "Gestion des cimetières",
            "q-usage_stade": "avance",
            "q-usage_impacts-agents": "positif",
            "q-usage_impacts-usagers": "nsp",
        },
        "organisation": {
            "q-orga_agents": "1 250",
            "q-orga_budget": "3,5",
            "q-orga_charte": "oui",
            "q-orga_commentaire": "@SOMME(A1) à éviter",
            "q-orga_fonction": "elu",
        },
    }
    for slug, data in pages.items():
        page = client.post(reverse("section", args=[slug]), {**data, "action": "continue"})
        assert page.status_code == 302, page.content.decode()[:3000]
    assert client.post(reverse("review")).url == reverse("sent")
    return edition, Response.objects.get()


@pytest.fixture
def client_factory():
    """Fresh, independent browsers (clients with their own cookies)."""
    from django.test import Client

    return Client


@pytest.fixture(autouse=True)
def live_server_is_the_site(request):
    """Under a live server, the links the site writes (SITE_URL) point to it, as `make run`
    sets SITE_URL from PORT."""
    if "live_server" in request.fixturenames:
        settings = request.getfixturevalue("settings")
        settings.SITE_URL = request.getfixturevalue("live_server").url


@pytest.fixture(autouse=True)
def no_questionnaire_cache(settings):
    """Tests change questionnaires freely (and flush the database): always read them afresh."""
    settings.QUESTIONNAIRE_CACHE = False


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits count in the cache: each test starts with none of another test's requests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def commit_at_the_end_of_each_request(monkeypatch):
    """In production each request commits, and what waits for the commit (queued emails) runs
    at its end; inside a test's transaction, run those callbacks when the request ends too."""
    from django.test import Client, TestCase

    original = Client.request

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(scope="session")
def shipped_snapshot(django_db_setup, django_db_blocker):
    """What `make run` loads (tests/shipped.py), loaded once per session then rolled back."""
    from django.db import transaction

    from tests.shipped import load_shipped

    with django_db_blocker.unblock(), transaction.atomic():
        snapshot = load_shipped()
        transaction.set_rollback(True)
    return snapshot


@pytest.fixture(scope="module")
def shipped(shipped_snapshot, django_db_blocker):
    """The module's tests run on the configuration that ships: every questionnaire of the
    Makefile (both surveys), the 2023 published table, the official list. Written in a
    transaction that stays open for the module (each test's own is a savepoint in it) and is
    rolled back at its end (tests/helpers/database.py)."""
    from tests.helpers.database import kept_for_the_module

    with kept_for_the_module(django_db_blocker):
        with django_db_blocker.unblock():
            shipped_snapshot.restore()
        yield shipped_snapshot


@pytest.fixture(scope="module")
def shipped_results(shipped, django_db_blocker):
    """On the shipped configuration, sent responses on the 2025 barometer and its results
    computed once for the module (frame frozen, weights, every estimate): its computation."""
    from tests.shipped import seed_and_compute

    with django_db_blocker.unblock():
        return seed_and_compute()
