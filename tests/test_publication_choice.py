"""Choosing the published questions, on the configuration that ships: per edition, per
section, with the full wording, a whole section at once without JavaScript, and an admin
list that names each question's edition."""

import html as html_module
import re

import pytest
from django.urls import reverse

from results.models import Publication
from survey.questionnaire.models import BAROMETER_SURVEY, Edition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_results")]


def barometer(year):
    return Edition.objects.for_year(year, BAROMETER_SURVEY)


def url(year):
    return reverse("admin:results_publication", args=[year])


def plain(text):
    """Text as read: entities decoded, the typographer's no-break spaces as spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", html_module.unescape(text))


def published_codes(edition):
    return set(Publication.objects.filter(edition=edition).values_list("question__code", flat=True))


def test_the_page_lists_each_section_with_its_questions_full_wording(admin_client):
    edition = barometer(2025)
    page = admin_client.get(url(2025)).content.decode()
    text = plain(page)
    for section in edition.sections.all():
        fieldset = re.search(
            rf'data-testid="section-{section.slug}">\s*<legend>(.*?)</legend>(.*?)</fieldset>',
            text,
            re.S,
        )
        assert fieldset is not None, section.slug
        assert fieldset.group(1) == plain(section.title)
        for question in section.questions.all():
            assert f'value="{question.code}"' in fieldset.group(2)
            assert f"{plain(question.text)} <span" in fieldset.group(2)  # whole, never cut
    # The other editions of the barometer are one click away; the poll is not among them.
    assert f'href="{url(2023)}"' in page
    assert 'aria-current="page">Édition 2025' in page
    assert page.count("Édition 2025") == 1


def test_a_whole_section_is_published_at_once_without_javascript(admin_client):
    edition = barometer(2025)
    section = edition.sections.order_by("position")[1]
    publishable = {q.code for q in section.questions.all() if not q.kind_class.free_text}
    other = edition.questions.exclude(section=section).filter(kind="single_choice").first()
    saved = admin_client.post(url(2025), {"questions": [other.code], "tout_publier": section.slug})
    assert saved.status_code == 302
    assert published_codes(edition) == publishable | {other.code}
    admin_client.post(
        url(2025),
        {"questions": sorted(publishable | {other.code}), "tout_retirer": section.slug},
    )
    assert published_codes(edition) == {other.code}
    assert published_codes(barometer(2023)) == set()  # another edition is left alone


def test_the_admin_s_list_of_questions_names_each_one_s_edition_and_section(admin_client):
    form = admin_client.get(reverse("admin:results_publication_add")).context["adminform"].form
    labels = [label for value, label in form.fields["question"].choices if value]
    usage_ia = [label for label in labels if " · usage_ia — " in label]
    assert len(usage_ia) >= 2
    assert len({label.split(" · ")[0] for label in usage_ia}) == len(usage_ia)
    question = barometer(2025).questions.get(code="usage_ia")
    assert any(label.endswith(question.text) for label in usage_ia)
