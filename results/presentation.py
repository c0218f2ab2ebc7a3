"""Stored estimates as pages show them: labelled lines grouped in blocks, and their bar chart.

Pages only read what `compute_results` stored. A question's estimates in one domain become
blocks (one per matrix row, else one), each a list of lines (one per option, or the mean and
the median of a number). The chart is geometry for the template: horizontal bars with their
95 % interval as whiskers, drawn on the server (SVG without text, labels and figures as the
page's own text) so that no script or inline style is needed (strict CSP).
"""

from dataclasses import dataclass, field

from results import statistics
from results.models import Estimate, Reliability, Statistic, Stratum
from survey import numbers
from survey.typography import typeset

DOMAIN_ORDER = ["toutes", "3500-plus", "type:", "strate:", "region:", "question:"]
RELIABILITY_NOTES = {
    Reliability.PUBLISHED: "",
    Reliability.CAUTION: "À interpréter avec prudence",
    Reliability.SUPPRESSED: "Non publiable",
    Reliability.WITHHELD: "Masqué : protège une estimation non publiable",
}


def publication_rule():
    """The publication rule in French, one sentence per step (from `results.statistics`)."""
    width = numbers.integer(statistics.MAX_WIDTH * 100)
    narrow = numbers.integer(statistics.NARROW_WIDTH * 100)
    relative = numbers.integer(statistics.MAX_RELATIVE_WIDTH * 100)
    minimum, degrees = (
        numbers.integer(statistics.MIN_EFFECTIVE_N),
        numbers.integer(statistics.MIN_DF),
    )
    return [
        "Chaque part est donnée avec son intervalle de confiance à 95 % de Korn et Graubard, "
        "calculé à partir de la taille effective de l’échantillon (le nombre de réponses "
        "indépendantes qu’il vaut, compte tenu des poids, jamais plus que le nombre de "
        "réponses) : c’est la règle du NCHS (Parker et al., 2017).",
        f"Non publiée : une estimation dont la taille effective est inférieure à "
        f"{minimum}, dont l’intervalle est plus large que {width} points, "
        f"ou, s’il dépasse {narrow} points, plus large que {relative} % de l’estimation.",
        f"Publiée, marquée « à interpréter avec prudence » : une estimation qui passe ces "
        f"seuils mais repose sur moins de {degrees} degrés de liberté, vaut 0 ou "
        f"100 %, ou dont l’intervalle dépasse {relative} % de la part complémentaire.",
        "Une strate dont tous les répondants ont donné la même réponse ne fait pas croire à "
        "une précision qu’elle n’a pas : elle compte comme si ses répondants avaient répondu "
        "comme l’ensemble du domaine.",
        "Moyennes et médianes suivent la même logique : non publiées sous une taille "
        f"effective de {minimum} ou avec un intervalle plus large que "
        f"{relative} % de l’estimation.",
        "Quand une case n’est pas publiée, d’autres peuvent être masquées pour qu’aucun "
        "calcul à partir des chiffres publiés ne permette de la retrouver.",
        "Chaque chiffre publié donne l’effectif de l’option (répondants qui l’ont donnée) et "
        "sa base (répondants à la question dans le domaine).",
        "Les réponses en texte libre ne sont jamais publiées.",
    ]


def reason_text(estimate):
    """Why the rule decided what it did for a stored estimate, in French (empty if published
    without a remark)."""
    rule = (
        statistics.proportion_verdict
        if estimate.statistic == Statistic.PROPORTION
        else statistics.number_verdict
    )
    verdict = rule(
        estimate.value, estimate.ci_low, estimate.ci_high, estimate.effective_n, statistics.MIN_DF
    )
    if verdict.reason == statistics.FEW_EFFECTIVE:
        size = numbers.decimal_number(estimate.effective_n, 1)
        minimum = numbers.integer(statistics.MIN_EFFECTIVE_N)
        return f"taille effective de l’échantillon inférieure à {minimum} ({size})"
    return REASON_TEXTS.get(verdict.reason, "")


REASON_TEXTS = {
    statistics.TOO_WIDE: (
        f"intervalle de confiance de plus de {numbers.integer(statistics.MAX_WIDTH * 100)} points"
    ),
    statistics.RELATIVELY_WIDE: "intervalle de confiance trop large par rapport à l’estimation",
    statistics.FEW_DEGREES: "trop peu de degrés de liberté",
    statistics.EXTREME: "estimation de 0 ou 100 %",
    statistics.LOOSE_COMPLEMENT: "intervalle large par rapport à la part complémentaire",
    statistics.NO_SPREAD: "toutes les réponses sont identiques",
}


def is_publishable(question):
    """Free text is never published: its answers are neither counted nor summarised."""
    return not question.kind_class.free_text


def value_text(estimate):
    """An estimate's figure as every page and export label writes it: « 43,3 % », « 12,4 »."""
    if estimate.statistic == Statistic.PROPORTION:
        return numbers.percent(estimate.value)
    return numbers.decimal_number(estimate.value, 1)


def interval_text(estimate):
    """An estimate's 95 % interval: « [41,2 ; 45,3] » (in percent for a proportion)."""
    if estimate.statistic == Statistic.PROPORTION:
        return numbers.percent_interval(estimate.ci_low, estimate.ci_high)
    return numbers.interval(estimate.ci_low, estimate.ci_high, 1)


def citation(edition, question, line, row_label, domain_label, url):
    """« Citer ce chiffre »: the sentence a journalist copies, with everything a reader needs
    to weigh the figure (question, answer, interval, domain, base, source and edition)."""
    estimate = line.estimate
    answer = f"« {row_label} », « {line.label} »" if row_label else f"« {line.label} »"
    caution = ", à interpréter avec prudence" if line.is_caution else ""
    year = str(edition.year)
    edition_name = edition.title if year in edition.title else f"{edition.title}, {year}"
    text = (
        f"« {question.text} » — {answer} : {line.value_text} (intervalle de confiance à 95 % : "
        f"{line.interval_text}){caution}. {domain_label}, base : "
        f"{numbers.integer(estimate.base_n)} répondants dont {numbers.integer(estimate.n)} pour "
        f"cette réponse, estimation pondérée. Source : Observatoire Data Publica, {edition_name}."
    )
    return f"{typeset(text)} {url}"


@dataclass
class Line:
    """One estimate with its label and its figures as shown."""

    label: str
    estimate: Estimate
    suppressed: bool = False
    tone: str = ""  # which side of a crossed page (poll/crossing.py): its bar's colour

    @property
    def is_percent(self):
        return self.estimate.statistic == Statistic.PROPORTION

    @property
    def value_text(self):
        if self.suppressed:
            return numbers.MISSING
        return value_text(self.estimate)

    @property
    def interval_text(self):
        if self.suppressed:
            return numbers.MISSING
        return interval_text(self.estimate)

    @property
    def count_text(self):
        """The option's count (unweighted respondents who gave it)."""
        return numbers.MISSING if self.suppressed else numbers.integer(self.estimate.n)

    @property
    def base_text(self):
        """The base: respondents who answered the question in the domain."""
        return numbers.MISSING if self.suppressed else numbers.integer(self.estimate.base_n)

    @property
    def effective_n_text(self):
        return numbers.integer(self.estimate.effective_n)

    @property
    def reliability_note(self):
        return RELIABILITY_NOTES[self.estimate.reliability]

    @property
    def is_caution(self):
        return self.estimate.reliability == Reliability.CAUTION

    @property
    def is_withheld(self):
        """Hidden by complementary suppression, not for its own precision."""
        return self.estimate.reliability == Reliability.WITHHELD


@dataclass
class Block:
    """The lines of a question (or of one matrix row) in one domain."""

    title: str
    slug: str
    lines: list = field(default_factory=list)

    @property
    def base(self):
        """The denominator rule and its unweighted size, from the block's first estimate."""
        first = self.lines[0].estimate
        return first.base, first.base_n

    @property
    def denominator(self):
        """The denominator rule as a clause, for a sentence that goes on after it."""
        return self.base[0].rstrip(".")

    def chart(self):
        return bar_chart(self.lines)


def line_labels(question):
    """Labels of a question's options (or statistics) and matrix rows, by code."""
    # Every choice, deactivated ones too (an older computation may name them), and the
    # options a kind has without Choice rows (yes/no).
    choices = {choice.code: choice.label for choice in question.choices.all()}
    choices |= question.kind_class.option_labels(question)
    statistics = {statistic.value: statistic.label for statistic in Statistic}
    rows = {item.code: item.label for item in question.items.all()}
    return choices, statistics, rows


def blocks(question, estimates, public=False):
    """The question's estimates of one domain, as blocks of labelled lines.

    On the public page an estimate that is not publishable, or withheld so that none can be
    worked out, shows no figure (and is not in the open data); staff see it, marked.
    """
    choices, statistics, rows = line_labels(question)
    grouped = {}
    for estimate in estimates:
        block = grouped.get(estimate.row_code)
        if block is None:
            title = rows.get(estimate.row_code, estimate.row_code) if estimate.row_code else ""
            slug = f"{question.code}-{estimate.row_code or 'options'}"
            block = grouped[estimate.row_code] = Block(title, slug)
        if estimate.statistic == Statistic.PROPORTION:
            label = choices.get(estimate.choice_code, estimate.choice_code)
        else:
            label = statistics[estimate.statistic]
        suppressed = public and estimate.reliability in Reliability.hidden()
        block.lines.append(Line(label, estimate, suppressed))
    order = {code: position for position, code in enumerate(rows)}
    return sorted(
        grouped.values(), key=lambda block: order.get(block.lines[0].estimate.row_code, -1)
    )


def domain_sort_key(domain):
    code = domain[0]
    for position, prefix in enumerate(DOMAIN_ORDER):
        if code == prefix or (prefix.endswith(":") and code.startswith(prefix)):
            return position, code
    return len(DOMAIN_ORDER), code


def domains(estimates):
    """[(code, label)] of the domains present in `estimates`, in a reading order."""
    found = set(estimates.values_list("domain", "domain_label").distinct().order_by())
    # « Départements » is both a kind and a stratum, the same collectivités: listed once.
    listed, labels = [], set()
    for code, label in sorted(found, key=domain_sort_key):
        if label not in labels:
            listed.append((code, label))
            labels.add(label)
    return listed


def collapsed_strata(computation):
    """[(label, label of what it was merged with)]: the strata (or régions) that had no
    respondent, from the computation's record of its collapses."""
    labels = dict(Stratum.choices)
    pairs = []
    for entry in computation.collapsed_strata or []:
        code = entry.get("strate") or entry.get("region", "")
        into = entry.get("regroupee_avec", "")
        pairs.append(
            (
                entry.get("libelle") or labels.get(code, code),
                entry.get("libelle_regroupement") or labels.get(into, into),
            )
        )
    return pairs


# -- The chart ------------------------------------------------------------------------------


def bar_chart(lines):
    """Horizontal bars with 95 % interval whiskers: geometry for `results/includes/bars.html`.

    Each bar is drawn on a scale of 0 to 100 (a share of the plot's width), so the bar
    stretches with the page while its label and figure stay text of the page's size, however
    narrow the screen. Proportions are drawn on 0–100 %; means and medians on 0 to the highest
    bound. Lines with no figure to show are left out of the chart (the table says why).
    """
    drawn = [line for line in lines if not line.suppressed]
    if not drawn:
        return None
    percent = all(line.is_percent for line in drawn)
    if percent:
        peak = 1.0
    else:
        peak = max(max(line.estimate.value, line.estimate.ci_high or 0) for line in drawn) or 1.0

    def x(value):
        return round(100 * max(0.0, min(value, peak)) / peak, 2)

    bars = []
    for line in drawn:
        estimate = line.estimate
        bar = {
            "label": line.label,
            "value_text": line.value_text,
            "caution": line.is_caution,
            "tone": line.tone,
            "suppressed_for_staff": estimate.reliability in Reliability.hidden(),
            "withheld_for_staff": estimate.reliability == Reliability.WITHHELD,
            "width": max(x(estimate.value), 0.3),
            "whisker": None,
        }
        if estimate.ci_low is not None and estimate.ci_high is not None:
            bar["whisker"] = {"low": x(estimate.ci_low), "high": x(estimate.ci_high)}
        bars.append(bar)
    return {"bars": bars, "percent": percent}
