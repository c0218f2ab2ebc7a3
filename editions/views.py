"""Year over year, for staff (admin) and, for published questions, for everyone."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editions.comparison import PANEL_NOTE, panel, year_over_year
from results.forms import DomainForm
from results.models import Computation, Publication
from results.views import barometer_edition, public_computation

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


def staff_trends(request, admin_site, year):
    """Every comparable question of the edition beside the one it continues."""
    if not request.user.has_perm("results.view_results"):
        raise PermissionDenied
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
    edition, computation, unavailable = public_computation(request, year)
    if unavailable:
        return unavailable
    published = set(Publication.objects.filter(edition=edition).values_list("question", flat=True))
    context = _trends_context(request, edition, computation, questions=published)
    return render(request, "editions/public_trends.html", context)
