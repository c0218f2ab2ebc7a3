from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render

from results.coverage import LEVELS, chart, coverage_rows, csv_rows, responses_per_day
from results.forms import CoverageForm
from results.models import Frame
from survey.exports.renderers import render_csv
from survey.models import Edition


def coverage(request, admin_site):
    """Staff page: who of the edition's frame has answered so far, and how fast."""
    if not request.user.has_perm("results.view_coverage"):
        raise PermissionDenied
    year = request.GET.get("edition", "")
    if year:
        edition = Edition.objects.filter(year=year).first() if year.isdigit() else None
        if edition is None:
            raise Http404("Aucune édition pour cette année.")
    else:
        edition = Edition.objects.current()
    form = CoverageForm(request.GET or None)
    target_rate = Decimal(form.target_rate())
    frame = Frame.objects.for_edition(edition) if edition else None
    if frame and request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            render_csv(csv_rows(frame, target_rate), bom=True),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="suivi-collecte-{edition.year}.csv"'
        )
        return response
    level = form.level()
    series = responses_per_day(edition) if edition else []
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
    }
    return render(request, "results/coverage.html", context)
