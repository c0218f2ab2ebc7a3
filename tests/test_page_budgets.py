"""Budgets of the 2025 barometer's pages, in counts, not times (issue 26, point 2).

Each page is drawn for a respondent who has described one project, on the configuration that
ships; a page fails when its bytes, its form inputs or its database queries grow beyond the
budget below. The budgets sit a little above what the pages weigh now: raise one only for a
change that needs it, and say why in its commit. The figures are printed (`pytest -s`).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from survey.questionnaire.models import BAROMETER_SURVEY, Edition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]

# page: (bytes, inputs, queries). Inputs count <input>, <select> and <textarea>, those of the
# repeated group's <template> included.
BUDGETS = {
    "profil": (22_000, 40, 5),
    "usages": (104_000, 235, 5),
    "ia-generative": (24_000, 55, 5),
    "difficultes": (52_000, 112, 5),
    "organisation": (40_000, 96, 5),
    "souverainete": (50_000, 118, 5),
    "attentes": (36_000, 75, 5),
}
CONTROL = re.compile(r"<(?:input|select|textarea)\b")
ONE_PROJECT = {
    "q-usage_ia": "oui",
    "q-usage_ia_projets": "1",
    "q-usage_ia_projets-1-nom": "Agent conversationnel de l’accueil",
    "action": "later",
}


@pytest.fixture
def respondent(client):
    """A respondent to the open 2025 barometer who has described one project."""
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    Edition.objects.filter(pk=edition.pk).update(closes_at="2099-01-01T00:00:00Z")
    client.post(reverse("start"))
    saved = client.post(reverse("section", args=["usages"]), ONE_PROJECT)
    assert saved.status_code == 302
    return client


def weigh(client, slug):
    """(bytes, inputs, queries) of a page as drawn a second time (the first fills caches)."""
    url = reverse("section", args=[slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    return len(page.content), len(CONTROL.findall(page.content.decode())), len(queries)


def test_every_page_of_the_2025_barometer_keeps_within_its_budget(respondent):
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    slugs = list(edition.sections.order_by("position").values_list("slug", flat=True))
    assert set(slugs) == set(BUDGETS)
    print(f"\n{'page':<16}{'octets':>10}{'entrées':>9}{'requêtes':>10}")
    over = []
    for slug in slugs:
        figures = weigh(respondent, slug)
        print(f"{slug:<16}{figures[0]:>10,}{figures[1]:>9}{figures[2]:>10}".replace(",", " "))
        if any(figure > budget for figure, budget in zip(figures, BUDGETS[slug], strict=True)):
            over.append(f"{slug}: {figures} > {BUDGETS[slug]}")
    assert over == []


def test_the_projects_group_draws_the_projects_described_and_one_template(respondent):
    html = respondent.get(reverse("section", args=["usages"])).content.decode()
    assert html.count("data-group-item ") == 2  # the project, and the model the script copies
    assert html.count("<template data-group-template>") == 1
    assert 'name="q-usage_ia_projets-1-nom"' in html
    assert 'name="q-usage_ia_projets-2-nom"' not in html
    # Without JavaScript, « Ajouter un projet » posts the page and draws one more, empty.
    added = respondent.post(
        reverse("section", args=["usages"]),
        {**ONE_PROJECT, "question-action": "add:usage_ia_projets"},
    ).content.decode()
    assert added.count("data-group-item ") == 3
    assert 'name="q-usage_ia_projets-2-nom" id="id_q-usage_ia_projets-2-nom" value=""' in added
