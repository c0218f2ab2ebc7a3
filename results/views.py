from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from results import crosstab, presentation
from results.coverage import (
    LEVELS,
    chart,
    coverage_rows,
    csv_rows,
    funnel,
    funnel_chart,
    responses_per_day,
)
from results.exports import estimates_of, estimates_xlsx, iter_estimate_rows
from results.extensions import page_context
from results.forms import CoverageForm, CrossForm, DomainForm, PublicationForm
from results.models import Computation, Estimate, Frame, Publication, Statistic, Weight
from results.permissions import PUBLISH, VIEW_COVERAGE, VIEW_RESULTS
from results.statistics import UnknownDomain
from survey.exports.csv import csv_download
from survey.links import absolute_url
from survey.models import Edition, Question
from survey.questionnaire.models import BAROMETER_SURVEY


# The coverage, the weighted results and their publication are the collectivités' barometer's:
# its frame is the official list. The poll's figures have their own pages (poll/).
def barometer_edition(year):
    """The barometer's edition of `year` (a number, or digits from a query string), or 404."""
    edition = Edition.objects.for_year(year, BAROMETER_SURVEY) if str(year).isdigit() else None
    if edition is None:
        raise Http404("Aucune édition du baromètre pour cette année.")
    return edition


@permission_required(VIEW_COVERAGE, raise_exception=True)
def coverage(request, admin_site):
    """Staff page: who of the edition's frame has answered so far, and how fast."""
    year = request.GET.get("edition", "")
    edition = barometer_edition(year) if year else Edition.objects.current(BAROMETER_SURVEY)
    form = CoverageForm(request.GET or None)
    target_rate = Decimal(form.target_rate())
    frame = Frame.objects.for_edition(edition) if edition else None
    if frame and request.GET.get("format") == "csv":
        return csv_download(f"suivi-collecte-{edition.year}.csv", csv_rows(frame, target_rate))
    level = form.level()
    series = responses_per_day(edition) if edition else []
    funnel_rows = funnel(edition) if edition else []
    context = {
        **admin_site.each_context(request),
        "title": "Suivi de la collecte",
        "edition": edition,
        "frame": frame,
        "form": form,
        "target_rate": target_rate,
        "level": level,
        "level_label": LEVELS[level],
        "rows": list(coverage_rows(frame, level, target_rate)) if frame else [],
        "series": series,
        "chart": chart(series),
        "funnel": funnel_rows,
        "funnel_chart": funnel_chart(funnel_rows),
    }
    return render(request, "results/coverage.html", context)


# -- Weighted results, for staff -------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _edition_from(request):
    year = request.GET.get("edition", "")
    return barometer_edition(year) if year else Edition.objects.current(BAROMETER_SURVEY)


def _download(estimates, computation, stem, file_format):
    if file_format != "xlsx":
        return csv_download(f"{stem}.csv", iter_estimate_rows(estimates))
    response = HttpResponse(estimates_xlsx(estimates, computation), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


def _results_context(request, admin_site, edition, computation, title):
    return {
        **admin_site.each_context(request),
        "title": title,
        "edition": edition,
        "computation": computation,
        "collapsed": presentation.collapsed_strata(computation) if computation else [],
        "may_publish": request.user.has_perms(PUBLISH),
    }


@permission_required(VIEW_RESULTS, raise_exception=True)
def results_index(request, admin_site):
    """Staff page: the current computation's method figures and the questions to read."""
    edition = _edition_from(request)
    computation = Computation.objects.current(edition) if edition else None
    if computation and request.GET.get("format") in ("csv", "xlsx"):
        return _download(
            estimates_of(computation),
            computation,
            f"estimations-{edition.year}",
            request.GET["format"],
        )
    context = _results_context(request, admin_site, edition, computation, "Résultats pondérés")
    if computation:
        counts = dict(
            Estimate.objects.filter(computation=computation)
            .values_list("question")
            .annotate(n=Count("pk"))
            .values_list("question", "n")
            .order_by()
        )
        published = set(
            Publication.objects.filter(edition=edition).values_list("question", flat=True)
        )
        questions = edition.questions.select_related("section").order_by(
            "section__position", "position"
        )
        context["questions"] = [
            {
                "question": question,
                "estimates": counts.get(question.pk, 0),
                "published": question.pk in published,
                "free_text": question.kind_class.free_text,
            }
            for question in questions
        ]
    context["editions"] = (
        Edition.objects.of(BAROMETER_SURVEY).filter(computations__isnull=False).distinct()
    )
    if edition:
        context |= page_context("staff_index", edition)
    return render(request, "results/staff_index.html", context)


@permission_required(VIEW_RESULTS, raise_exception=True)
def results_question(request, admin_site, year, code):
    """Staff page: one question's estimates in a domain, as a table and bars with whiskers."""
    edition = barometer_edition(year)
    question = get_object_or_404(
        Question.objects.prefetch_related("choices", "items"), edition=edition, code=code
    )
    computation = Computation.objects.current(edition)
    if computation is None:
        return redirect(f"{reverse('admin:results_index')}?edition={edition.year}")
    estimates = Estimate.objects.filter(computation=computation, question=question)
    if request.GET.get("format") in ("csv", "xlsx"):
        return _download(
            estimates_of(computation, questions=[question]),
            computation,
            f"estimations-{edition.year}-{question.code}",
            request.GET["format"],
        )
    form = DomainForm(request.GET or None, presentation.domains(estimates))
    domain = form.domain()
    shown = estimates.filter(domain=domain).order_by("row_code", "pk")
    cross_form = CrossForm(request.GET or None, crosstab.crossing_questions(question))
    other, cross_tables, cross_error = cross_form.other(), [], None
    if other is not None:
        try:
            cross_tables = crosstab.cross_tables(computation, question, other)
        except UnknownDomain as error:
            cross_error = str(error)
    context = _results_context(request, admin_site, edition, computation, question.code) | {
        "question": question,
        "form": form,
        "domain": domain,
        "domain_label": dict(form.fields["domaine"].choices).get(domain, domain),
        "blocks": presentation.blocks(question, shown),
        "published": Publication.objects.filter(edition=edition, question=question).exists(),
        "cross_form": cross_form,
        "other": other,
        "cross_tables": cross_tables,
        "cross_error": cross_error,
    }
    return render(request, "results/staff_question.html", context)


@permission_required(PUBLISH, raise_exception=True)
def results_publication(request, admin_site, year):
    """Staff page: choose the questions that the public results page of the edition shows."""
    edition = barometer_edition(year)
    published = Publication.objects.filter(edition=edition)
    if request.method == "POST":
        form = PublicationForm(request.POST, edition)
        if form.is_valid():
            chosen = form.cleaned_data["questions"]
            # « Tout publier » / « Tout retirer » of a section: buttons, so no JavaScript needed.
            if request.POST.get("tout_publier"):
                added = form.section_questions(request.POST["tout_publier"])
                chosen = chosen + [question for question in added if question not in chosen]
            if request.POST.get("tout_retirer"):
                removed = form.section_questions(request.POST["tout_retirer"])
                chosen = [question for question in chosen if question not in removed]
            with transaction.atomic():
                published.exclude(question__in=chosen).delete()
                kept = set(published.values_list("question", flat=True))
                for question in chosen:
                    if question.pk not in kept:
                        publication = Publication(edition=edition, question=question)
                        publication.full_clean()
                        publication.save()
            messages.success(
                request,
                f"{len(chosen)} question{'s' if len(chosen) > 1 else ''} publiée"
                f"{'s' if len(chosen) > 1 else ''} pour l'édition {edition.year}.",
            )
            return redirect("admin:results_publication", year=edition.year)
    else:
        form = PublicationForm(
            {"questions": list(published.values_list("question__code", flat=True))}, edition
        )
    context = {
        **admin_site.each_context(request),
        "title": f"Questions publiées — édition {edition.year}",
        "edition": edition,
        "form": form,
        "public_url": reverse("results_public", args=[edition.year]),
        "is_public": edition.has_closed(),
        "editions": Edition.objects.of(BAROMETER_SURVEY).order_by("-year"),
    }
    return render(request, "results/staff_publication.html", context)


# -- Public results, after the close ---------------------------------------------------------


def public_computation(request, year):
    """(edition, computation) once the edition has closed and has published questions;
    otherwise a French page that says when (status 404)."""
    edition = barometer_edition(year)
    computation = Computation.objects.current(edition)
    ready = (
        edition.has_closed()
        and computation is not None
        and Publication.objects.filter(edition=edition).exists()
    )
    if not ready:
        page = render(
            request,
            "results/public_unavailable.html",
            {"edition": edition, "closed": edition.has_closed()},
            status=404,
        )
        return edition, None, page
    return edition, computation, None


@require_GET
def public_results(request, year):
    """The published questions of a closed edition, in a domain: bars with whiskers and
    tables; estimates that are not publishable show no figure."""
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    questions = list(
        Question.objects.filter(
            pk__in=Publication.objects.filter(edition=edition).values("question")
        )
        .select_related("section")
        .prefetch_related("choices", "items")
        .order_by("section__position", "position")
    )
    estimates = Estimate.objects.filter(computation=computation, question__in=questions)
    form = DomainForm(request.GET or None, presentation.domains(estimates))
    domain = form.domain()
    by_question = {}
    for estimate in estimates.filter(domain=domain).order_by("row_code", "pk"):
        by_question.setdefault(estimate.question_id, []).append(estimate)
    sections = []
    for question in questions:
        if question.pk not in by_question:
            continue
        entry = {"question": question, "blocks": presentation.blocks(
            question, by_question[question.pk], public=True
        )}  # fmt: skip
        if sections and sections[-1]["section"] == question.section:
            sections[-1]["questions"].append(entry)
        else:
            sections.append({"section": question.section, "questions": [entry]})
    context = {
        "edition": edition,
        "computation": computation,
        "form": form,
        "domain": domain,
        "domain_label": dict(form.fields["domaine"].choices).get(domain, domain),
        "sections": sections,
        **page_context("public_results", edition),
    }
    return render(request, "results/public_results.html", context)


@require_GET
def public_figure(request, year, domain, question, option, row=""):
    """A published figure's own page, its permalink: the figure, its interval, base and
    reliability, and « Citer ce chiffre ». A figure the rule keeps back says so, without it."""
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    published = Publication.objects.filter(edition=edition).values("question")
    estimate = (
        Estimate.objects.filter(
            computation=computation,
            question__in=published,
            question__code=question,
            domain=domain,
            row_code=row,
        )
        .filter(
            Q(statistic=Statistic.PROPORTION, choice_code=option)
            | Q(statistic=option, choice_code="")
        )
        .select_related("question__section")
        .prefetch_related("question__choices", "question__items")
        .first()
    )
    if estimate is None:
        raise Http404("Aucun chiffre publié à cette adresse.")
    question = estimate.question
    (block,) = presentation.blocks(question, [estimate], public=True)
    (line,) = block.lines
    row_label = block.title  # the matrix row's label, empty outside a matrix
    url = absolute_url(request.path)
    context = {
        "edition": edition,
        "question": question,
        "line": line,
        "row_label": row_label,
        "domain": domain,
        "domain_label": estimate.domain_label,
        "permalink": url,
        "citation": presentation.citation(
            edition, question, line, row_label, estimate.domain_label, url
        ),
        "reason": presentation.reason_text(estimate),
    }
    return render(request, "results/public_figure.html", context)


@require_GET
def public_figures_csv(request, year):
    """Every published figure of the edition, all domains, as the open data lists them."""
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    return csv_download(
        f"chiffres-publies-{edition.year}.csv",
        iter_estimate_rows(estimates_of(computation, public=True), public=True),
    )


@require_GET
def public_methodology(request, year):
    """How the published figures were made, from the stored frame and computation."""
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    frame = computation.frame
    respondents = dict(
        Weight.objects.filter(computation=computation)
        .values_list("stratum")
        .annotate(n=Count("pk"))
        .values_list("stratum", "n")
        .order_by()
    )
    strata = [
        {"stratum": stratum, "respondents": respondents.get(stratum.code, 0)}
        for stratum in frame.strata.order_by("pk")
    ]
    published = Estimate.objects.filter(
        computation=computation,
        question__in=Publication.objects.filter(edition=edition).values("question"),
    )
    context = {
        "edition": edition,
        "computation": computation,
        "frame": frame,
        "strata": strata,
        "respondents_total": sum(respondents.values()),
        "collapsed": presentation.collapsed_strata(computation),
        "domains": presentation.domains(published),
        "bases": sorted(set(published.values_list("base", flat=True).distinct().order_by())),
    }
    return render(request, "results/public_methodology.html", context)
