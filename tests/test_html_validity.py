import shutil

import pytest
from django.urls import reverse

from tests.helpers.html import journey_pages, nu_problems

pytestmark = pytest.mark.django_db


def test_every_journey_page_passes_the_nu_html_checker(client, small_survey, tmp_path):
    assert shutil.which("java"), (
        "Java is needed for the Nu HTML checker (apt-get install default-jre-headless)"
    )
    pages = journey_pages(client, small_survey)
    assert nu_problems(pages, tmp_path) == []
    assert len(pages) == 29


def test_the_results_pages_pass_the_nu_html_checker(client, tmp_path):
    from django.contrib.auth.models import Permission, User

    from results.models import Publication
    from tests.results_sample import compute
    from tests.sample import make_questionnaire

    edition = make_questionnaire()
    user = User.objects.create_superuser("admin", "admin@example.fr", "x")
    client.force_login(user)
    index = reverse("admin:results_index")
    pages = [("results-empty", client.get(index, {"edition": edition.year}))]
    pages.append(("public-not-yet", client.get(reverse("results_public", args=[edition.year]))))
    compute(edition)
    Publication.objects.create(edition=edition, question=edition.questions.get(code="usage_ia"))
    Publication.objects.create(
        edition=edition, question=edition.questions.get(code="usage_impacts")
    )
    question = "admin:results_question"
    pages += [
        ("results-index", client.get(index, {"edition": edition.year})),
        ("results-choice", client.get(reverse(question, args=[edition.year, "usage_ia"]))),
        ("results-matrix", client.get(reverse(question, args=[edition.year, "usage_impacts"]))),
        ("results-number", client.get(reverse(question, args=[edition.year, "orga_agents"]))),
        (
            "results-cross",
            client.get(
                reverse(question, args=[edition.year, "usage_ia"]), {"croiser": "orga_charte"}
            ),
        ),
        ("publication", client.get(reverse("admin:results_publication", args=[edition.year]))),
        ("public", client.get(reverse("results_public", args=[edition.year]))),
        ("methodology", client.get(reverse("results_methodology", args=[edition.year]))),
        (
            "figure",
            client.get(reverse("results_figure", args=[edition.year, "toutes", "usage_ia", "oui"])),
        ),
        (
            "figure-row-kept-back",
            client.get(
                reverse(
                    "results_figure_row",
                    args=[edition.year, "toutes", "usage_impacts", "agents", "nsp"],
                )
            ),
        ),
        ("home-closed", client.get(reverse("home"))),
    ]
    assert Permission.objects.filter(codename="view_results").exists()
    for name, page in pages:
        assert page.status_code in (200, 404), (name, page.status_code)
    assert "results-links" in pages[-1][1].content.decode()
    assert 'data-testid="cross-table"' in dict(pages)["results-cross"].content.decode()
    html = [(name, page.content.decode()) for name, page in pages]
    assert nu_problems(html, tmp_path) == []
