"""Coverage while collecting: who of the frame has answered, per stratum, région, département.

One aggregate query per level over the frozen frame, joined to the edition's responses (at
most one per collectivité and edition, a database constraint, so the join never duplicates).
The HTML table and the CSV download read the same rows.
"""

import datetime
import math
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, FilteredRelation, Q, Sum
from django.db.models.functions import TruncDate

from results.models import FrameMember
from survey import numbers
from survey.collection.models import Response
from survey.enums import ResponseStatus

LEVELS = {
    "strate": "Strate",
    "region": "Région",
    "departement": "Département",
}
OTHER_LABEL = "Autre structure (hors liste officielle)"
CSV_HEADER = [
    "Niveau",
    "Code",
    "Libellé",
    "Collectivités éligibles (N)",
    "Réponses commencées",
    "Brouillons",
    "Réponses envoyées (n)",
    "Taux de réponse n/N (%)",
    "Population",
    "Population couverte par les réponses envoyées",
    "Part de la population couverte (%)",
    "Sous l'objectif",
]


@dataclass
class CoverageRow:
    level: str
    code: str
    label: str
    eligible: int | None
    started: int
    drafts: int
    sent: int
    population: int | None
    population_covered: int | None
    target_rate: Decimal | None = None
    is_total: bool = False

    @property
    def rate(self):
        """n/N in percent, one decimal (rounded as pages write it); None outside the frame."""
        if not self.eligible:
            return None
        return numbers.rounded(Decimal(100 * self.sent) / self.eligible, 1)

    @property
    def population_share(self):
        if not self.population:
            return None
        return numbers.rounded(Decimal(100 * self.population_covered) / self.population, 1)

    @property
    def under_target(self):
        return (
            self.target_rate is not None and self.rate is not None and self.rate < self.target_rate
        )

    def csv_cells(self):
        return [
            LEVELS.get(self.level, self.level),
            self.code,
            self.label,
            self.eligible,
            self.started,
            self.drafts,
            self.sent,
            self.rate,
            self.population,
            self.population_covered,
            self.population_share,
            "oui" if self.under_target else "",
        ]


def _counts(prefix=""):
    status = f"{prefix}status"
    return {
        "started": Count(f"{prefix}pk"),
        "drafts": Count(f"{prefix}pk", filter=Q(**{status: ResponseStatus.DRAFT})),
        "sent": Count(f"{prefix}pk", filter=Q(**{status: ResponseStatus.SUBMITTED})),
    }


def _grouped(frame, keys):
    """Per group of the frame: N, population, responses started, drafts, sent, population
    of the collectivités that sent theirs. One query."""
    members = FrameMember.objects.filter(frame=frame).annotate(
        response=FilteredRelation(
            "collectivite__responses",
            condition=Q(collectivite__responses__edition_id=frame.edition_id),
        )
    )
    return (
        members.values(*keys)
        .annotate(
            eligible=Count("pk"),
            population_sum=Sum("population"),
            population_covered=Sum(
                "population", filter=Q(response__status=ResponseStatus.SUBMITTED), default=0
            ),
            **_counts("response__"),
        )
        .order_by(*keys)
    )


def coverage_rows(frame, level, target_rate=None):
    """The rows of one level, then the total of the frame, then the « autre structure » line."""
    if level == "strate":
        keys = ["stratum__code", "stratum__label"]
    elif level == "region":
        keys = ["region_code", "region_name"]
    else:
        keys = ["departement_code"]
    total = CoverageRow(level, "", "Total de la base de sondage", 0, 0, 0, 0, 0, 0)
    total.is_total = True
    total.target_rate = target_rate
    groups = list(_grouped(frame, keys))
    if level == "strate":
        # Every stratum, in the typology's order, even one the list leaves empty.
        found = {group["stratum__code"]: group for group in groups}
        empty = {"eligible": 0, "population_sum": 0, "population_covered": 0}
        empty |= {"started": 0, "drafts": 0, "sent": 0}
        groups = [
            found.get(stratum.code, {**empty, "stratum__code": stratum.code})
            | {"stratum__label": stratum.label}
            for stratum in frame.strata.order_by("pk")
        ]
    for group in groups:
        code = group[keys[0]] or ""
        label = group[keys[1]] if len(keys) > 1 else code
        row = CoverageRow(
            level,
            code,
            label or "(sans région)",
            group["eligible"],
            group["started"],
            group["drafts"],
            group["sent"],
            group["population_sum"] or 0,
            group["population_covered"] or 0,
            target_rate,
        )
        for field in ["eligible", "started", "drafts", "sent", "population", "population_covered"]:
            setattr(total, field, getattr(total, field) + getattr(row, field))
        yield row
    yield total
    yield other_structures_row(frame, level, total)


def other_structures_row(frame, level, total):
    """Responses from outside the frame: « autre structure », or a collectivité that joined the
    list after the frame was frozen. Counted apart, never in the frame's totals: every response
    of the edition minus those of the frame (at most one per collectivité, so no overlap)."""
    counts = Response.objects.filter(edition_id=frame.edition_id).aggregate(**_counts())
    return CoverageRow(
        level,
        "autre",
        OTHER_LABEL,
        None,
        counts["started"] - total.started,
        counts["drafts"] - total.drafts,
        counts["sent"] - total.sent,
        None,
        None,
    )


def csv_rows(frame, target_rate=None):
    """Header, then every level's rows, for the CSV download."""
    yield CSV_HEADER
    for level in LEVELS:
        for row in coverage_rows(frame, level, target_rate):
            yield row.csv_cells()


def responses_per_day(edition):
    """[(day, started, sent)] in Paris time, every day from the first to the last activity."""
    paris = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    responses = Response.objects.filter(edition=edition)
    started = dict(
        responses.annotate(day=TruncDate("created_at", tzinfo=paris))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    sent = dict(
        responses.filter(status=ResponseStatus.SUBMITTED)
        .annotate(day=TruncDate("submitted_at", tzinfo=paris))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    days = set(started) | set(sent)
    if not days:
        return []
    day, last = min(days), max(days)
    series = []
    while day <= last:
        series.append((day, started.get(day, 0), sent.get(day, 0)))
        day += datetime.timedelta(days=1)
    return series


MAX_TICKS = 6  # dated ticks under the bars: few enough to stay apart on a phone
TICK_SPACE = 28


def chart(series, width=640, height=200):
    """Bars of the responses sent per day, as SVG geometry for the template (no inline style)."""
    if not series:
        return None
    peak = max(max(sent, started) for _, started, sent in series) or 1
    slot = width / len(series)
    bars = []
    for position, (day, started, sent) in enumerate(series):
        bar_height = round(height * sent / peak, 1)
        started_height = round(height * started / peak, 1)
        bars.append(
            {
                "day": day,
                "started": started,
                "sent": sent,
                "x": round(position * slot, 1),
                "width": max(round(slot * 0.8, 1), 1),
                "y": round(height - bar_height, 1),
                "height": bar_height,
                "started_y": round(height - started_height, 1),
                "started_height": started_height,
            }
        )
    every = math.ceil(len(bars) / MAX_TICKS)
    ticks = [
        {
            "day": bar["day"],
            "x": round(bar["x"] + bar["width"] / 2, 1),
            # A label centred on the first or last bar would be cut by the chart's edge.
            "label_x": min(max(round(bar["x"] + bar["width"] / 2, 1), 30), width - 30),
        }
        for bar in bars[::every]
    ]
    return {
        "width": width,
        "height": height,
        "full_height": height + TICK_SPACE,
        "label_y": height + TICK_SPACE - 6,
        "peak": peak,
        "bars": bars,
        "ticks": ticks,
    }


# -- Drop-off: how far respondents go, page by page ------------------------------------------


@dataclass
class FunnelRow:
    """One page of the questionnaire: who reached it, validated it, and stopped there."""

    position: int
    title: str
    reached: int
    finished: int

    @property
    def left(self):
        """Reached the page and never validated it: drafts that stopped there (so far)."""
        return self.reached - self.finished

    @property
    def left_share(self):
        """The share of those who reached the page who stopped there, in percent."""
        return round(Decimal(100 * self.left) / self.reached, 1) if self.reached else None


def funnel(edition):
    """[FunnelRow] per page, in the journey's order, from the pages each response has
    validated (« Enregistrer et continuer », Response.completed_sections). A page is reached
    once the page before it is validated (the first: once the response is started)."""
    pages = list(edition.sections.order_by("position").values_list("slug", "title"))
    reached = [0] * len(pages)
    finished = [0] * len(pages)
    validated_pages = Response.objects.filter(edition=edition).values_list(
        "completed_sections", flat=True
    )
    for validated in validated_pages.iterator(chunk_size=2000):
        done = set(validated or ())
        for index, (slug, _) in enumerate(pages):
            if slug in done:
                finished[index] += 1
            if index == 0 or slug in done or pages[index - 1][0] in done:
                reached[index] += 1
    return [
        FunnelRow(position, title, reached[position - 1], finished[position - 1])
        for position, (_, title) in enumerate(pages, start=1)
    ]


def funnel_chart(rows, width=640, row_height=56):
    """Bars of the funnel as SVG geometry: per page, those who reached it (light) and those
    who validated it (dark), on the scale of the first page."""
    if not rows or not rows[0].reached:
        return None
    scale = max(row.reached for row in rows)
    bars = []
    for index, row in enumerate(rows):
        y = index * row_height
        bars.append(
            {
                "row": row,
                "y": y,
                "bar_y": y + 26,
                "label_y": y + 20,
                "reached_width": round(width * row.reached / scale, 1),
                "finished_width": round(width * row.finished / scale, 1),
            }
        )
    return {"width": width, "height": len(rows) * row_height, "bars": bars}
