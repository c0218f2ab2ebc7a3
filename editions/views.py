"""Year over year, for staff (admin) and, for published questions, for everyone; and the
public pages of an edition known only by its published table (2023)."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editions import presentation
from editions.comparison import PANEL_NOTE, panel, year_over_year
from results import views as results_views
from results.estimation import INTERVAL_METHOD
from results.forms import DomainForm
from results.models import Computation, Publication, Reliability
from results.permissions import VIEW_RESULTS
from results.views import barometer_edition, public_computation
from survey.models import Edition
from survey.questionnaire.models import BAROMETER_SURVEY

# Domains both a collected edition and a published table can give.
TREND_DOMAINS = [
    ("toutes", "Toutes collectivités"),
    ("3500-plus", "Collectivités de 3 500 habitants ou plus"),
    ("type:commune", "Communes"),
    ("type:epci", "EPCI"),
    ("type:departement", "Départements"),
    ("type:region", "Régions"),
]


def _trends_context(request, edition, computation, questions=None):
    form = DomainForm(request.GET or None, TREND_DOMAINS)
    domain = form.domain()
    trends = year_over_year(computation, domain)
    if questions is not None:
        trends = [trend for trend in trends if trend.question.pk in questions]
    return {
        "edition": edition,
        "computation": computation,
        "form": form,
        "domain": domain,
        "domain_label": dict(TREND_DOMAINS)[domain],
        "trends": trends,
    }


@permission_required(VIEW_RESULTS, raise_exception=True)
def staff_trends(request, admin_site, year):
    """Every comparable question of the edition beside the one it continues."""
    edition = barometer_edition(year)
    computation = Computation.objects.current(edition)
    context = {**admin_site.each_context(request), "title": "Évolution d'une édition à l'autre"}
    if computation is None:
        context |= {"edition": edition, "computation": None}
        return render(request, "editions/staff_trends.html", context)
    context |= _trends_context(request, edition, computation)
    panels = [panel(trend.question) for trend in context["trends"]]
    context["panels"] = [found for found in panels if found is not None]
    context["panel_note"] = PANEL_NOTE
    return render(request, "editions/staff_trends.html", context)


@require_GET
def public_trends(request, year):
    """The published questions' changes since the edition they continue."""
    past = _past_edition(year)
    if past is not None:
        # Changes are shown on the page of the edition that continues it.
        return render(request, "editions/past_no_trends.html", {"edition": past}, status=404)
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    published = set(Publication.objects.filter(edition=edition).values_list("question", flat=True))
    context = _trends_context(request, edition, computation, questions=published)
    return render(request, "editions/public_trends.html", context)


# -- An edition known by its published table -------------------------------------------------


def _past_edition(year):
    """The barometer's edition of `year` when its figures come from its published table (it
    has no computation of its own), else None."""
    edition = Edition.objects.for_year(year, BAROMETER_SURVEY)
    known = presentation.is_known_by_published_table(edition)
    return edition if known and Computation.objects.current(edition) is None else None


@require_GET
def public_results(request, year):
    """/resultats/<year>/: a past edition re-estimated from its published table, or the
    collected edition's published results."""
    edition = _past_edition(year)
    if edition is None:
        return results_views.public_results(request, year)
    form = DomainForm(request.GET or None, presentation.PAST_DOMAINS)
    page = presentation.past_page(edition, form.domain())
    strata = presentation.strata_rows(edition)
    context = {
        "edition": edition,
        "form": form,
        "domain": page.domain,
        "domain_label": page.domain_label,
        "page": page,
        "respondents": sum(row.respondents for row in strata),
        "outside_list": next(row.respondents for row in strata if row.national is None),
    }
    return render(request, "editions/past_results.html", context)


@require_GET
def public_methodology(request, year):
    """/resultats/<year>/methodologie/: for a past edition, what was published then and how
    it is re-estimated now; otherwise the collected edition's methodology."""
    edition = _past_edition(year)
    if edition is None:
        return results_views.public_methodology(request, year)
    strata = presentation.strata_rows(edition)
    counts = presentation.publication_counts(edition)
    context = {
        "edition": edition,
        "strata": strata,
        "respondents": sum(row.respondents for row in strata),
        "national_total": sum(row.national or 0 for row in strata),
        "large_total": sum(row.national or 0 for row in strata if row.weight_then),
        "small": next(row for row in strata if row.stratum == "commune-lt3500"),
        "other": next(row for row in strata if row.national is None),
        "totals": presentation.published_totals(edition),
        "interval_method": INTERVAL_METHOD,
        "published_count": counts[Reliability.PUBLISHED],
        "caution_count": counts[Reliability.CAUTION],
        "suppressed_count": counts[Reliability.SUPPRESSED],
        "figure_count": sum(counts.values()),
        "domains": presentation.PAST_DOMAINS,
        "weighted_total_label": presentation.WEIGHTED_TOTAL_LABEL.format(year=edition.year),
    }
    return render(request, "editions/past_methodology.html", context)
