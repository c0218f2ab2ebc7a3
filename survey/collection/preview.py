"""Staff's preview of a questionnaire page as a respondent sees it, without any response.

The page is the respondent's own template, read-only: every question shows (no script hides
the conditional ones), no button saves, and nothing is written: the response it is drawn for
is never saved.
"""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from survey.collection.forms import SectionForm
from survey.collection.journey import CollectiviteStep, Journey, SectionStep
from survey.collection.models import Response
from survey.collection.views import _find_section, _section_context
from survey.collectivites.forms import CollectivitePickerForm
from survey.enums import Audience
from survey.permissions import VIEW_EDITION
from survey.questionnaire.models import Edition


def preview_url(edition_id, slug):
    return reverse("admin:survey_edition_preview", args=[edition_id, slug])


@require_GET
@permission_required(VIEW_EDITION, raise_exception=True)
def preview(request, edition_id, slug):
    edition = get_object_or_404(Edition.objects.select_related("survey"), pk=edition_id)
    sections = edition.questionnaire()
    current = _find_section(sections, slug)
    response = Response(edition=edition)  # drawn for, never saved
    if edition.survey.audience == Audience.COLLECTIVITES:
        journey = Journey.for_collectivites(response, sections=sections, values={})
    else:
        journey = Journey(response, (SectionStep,), sections=sections, values={})
    step = journey.step_for(current)
    asks_collectivite = journey.page_showing(CollectiviteStep) is step
    pages = [
        {"section": section, "url": preview_url(edition.pk, section.slug)} for section in sections
    ]
    position = next(i for i, page in enumerate(pages) if page["section"].pk == current.pk)
    context = _section_context(
        response,
        journey,
        current,
        SectionForm(current, {}),
        read_only=True,
        picker=CollectivitePickerForm() if asks_collectivite else None,
        preview={
            "pages": pages,
            "previous": pages[position - 1] if position else None,
            "next": pages[position + 1] if position + 1 < len(pages) else None,
            "edition_url": reverse("admin:survey_edition_change", args=[edition.pk]),
        },
    )
    return render(request, "survey/section.html", context)
