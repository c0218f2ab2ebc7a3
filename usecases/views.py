"""The public catalogue of use cases: validated, consented projects, with the collectivité's
name and never a person's."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from survey.collection.models import Answer
from survey.questionnaire.models import BAROMETER_SURVEY, Edition, Question
from usecases.forms import CatalogueSearchForm
from usecases.models import (
    BENEFITS,
    DESCRIPTION,
    DOMAIN,
    QUESTION_CODES,
    SERVICE,
    STAGE,
    SUPPLIER,
    Catalogue,
    UseCase,
    fingerprint,
)

# What the catalogue shows of a project, in this order (never the respondents: no names).
SHOWN = (DOMAIN, STAGE, SERVICE, SUPPLIER, DESCRIPTION, BENEFITS)


def catalogue_is_open(edition):
    catalogue = Catalogue.objects.filter(edition=edition).first()
    return edition.has_closed() or (catalogue is not None and catalogue.is_open())


def still_as_validated(use_cases):
    """The use cases whose current answer is still the one staff validated (a respondent may
    have changed or withdrawn it since: it then waits for the next review)."""
    answers = {
        (answer.response_id, answer.question_id): answer.value or []
        for answer in Answer.objects.filter(
            response__in={use_case.response_id for use_case in use_cases},
            question__in={use_case.question_id for use_case in use_cases},
        )
    }
    kept = []
    for use_case in use_cases:
        items = answers.get((use_case.response_id, use_case.question_id), [])
        current = items[use_case.number - 1] if use_case.number <= len(items) else None
        if current is not None and fingerprint(current) == use_case.validated_fingerprint:
            kept.append(use_case)
    return kept


def _choices(edition, code):
    """The options of sub-question `code` of the edition's use-case groups: the filters."""
    options = {}
    for group in Question.objects.filter(edition=edition, code__in=QUESTION_CODES):
        for sub in group.kind_class.sub_questions(group):
            if sub.code == code:
                options |= {choice.code: choice.label for choice in sub.active_choices}
    return list(options.items())


@require_GET
def catalogue(request, year):
    # The use cases are declared in the collectivités' questionnaire.
    edition = Edition.objects.for_year(year, BAROMETER_SURVEY)
    if edition is None:
        raise Http404("Aucune édition du baromètre pour cette année.")
    if not catalogue_is_open(edition):
        context = {"edition": edition}
        return render(request, "usecases/catalogue_unavailable.html", context, status=404)
    use_cases = still_as_validated(
        list(
            UseCase.objects.public()
            .filter(response__edition=edition)
            .select_related("response__collectivite", "question")
            .prefetch_related("tags")
            .order_by("response__collectivite__name", "number")
        )
    )
    for use_case in use_cases:
        use_case.shown = [
            (use_case.sub_questions()[code].text, use_case.words(code))
            for code in SHOWN
            if code in use_case.sub_questions() and use_case.value.get(code) is not None
        ]
        use_case.tag_names = [tag.name for tag in use_case.tags.all()]
        use_case.search_text = " ".join(
            [use_case.name, use_case.collectivite_name, *(text for _, text in use_case.shown)]
        ).casefold()
    form = CatalogueSearchForm(
        request.GET,
        _choices(edition, DOMAIN),
        _choices(edition, STAGE),
        sorted({name for use_case in use_cases for name in use_case.tag_names}),
    )
    found = form.filter(use_cases)
    context = {"edition": edition, "form": form, "use_cases": found, "total": len(use_cases)}
    return render(request, "usecases/catalogue.html", context)


def latest_open_edition():
    """The most recent barometer edition whose catalogue the public may read, or None."""
    for edition in Edition.objects.of(BAROMETER_SURVEY).order_by("-year"):
        if catalogue_is_open(edition):
            return edition
    return None


@require_GET
def latest_catalogue(request):
    """/cas-usage/: the most recent catalogue (the site's footer links here)."""
    edition = latest_open_edition()
    if edition is None:
        current = Edition.objects.current(BAROMETER_SURVEY)
        if current is None:
            raise Http404("Aucune édition du baromètre.")
        context = {"edition": current}
        return render(request, "usecases/catalogue_unavailable.html", context, status=404)
    return redirect("use_case_catalogue", edition.year)
