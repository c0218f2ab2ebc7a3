"""The poll's margins (loaded by staff from a file) and the weights calibrated to them.

File format (docs/poll.md): CSV in UTF-8, comma-separated, one margin a line, with the header
`critere,categorie,effectif,source,annee`:

- `critere`: `age_sexe`, `region` or `taille_commune`;
- `categorie`: the answer code of the questionnaire (`bretagne`, `moins_3500`), or
  `<age>:<sexe>` for age × sex (`age_25_34:femme`);
- `effectif`: the population of the category, a whole number;
- `source` and `annee`: the published table it comes from, and its year;
- `test` (optional column): `oui` for test data, whose weighted figures are never published.

A category written `a+b` merges categories into one margin (how a category without any
complete is weighted). Loading a file replaces the margins of the criteria it contains, all or
nothing.

Weights (`weigh`): post-stratification on age × sex, then bounded raking on région and
commune size with results.weighting.rake, the collectivités' raking loop; age × sex is exact at
the end. Each run is recorded as a WeightingRun with a copy of its margins (docs/poll.md).
"""

import csv
import functools
import io
import re

import numpy as np
from django.db import transaction
from unidecode import unidecode

from poll.models import (
    MERGE_SEPARATOR,
    Margin,
    MarginDimension,
    Participation,
    RunStatus,
    WeightingRun,
)
from poll.profile import PROFILE_QUESTIONS, SCREENED_OUT_AGES, profiles_of
from results.weighting import FACTOR_BOUNDS, RakingMargin, WeightingError, rake
from survey import numbers
from survey.collectivites.models import Collectivite
from survey.collectivites.search import official_regions
from survey.enums import CollectiviteKind, PopulationBand

HEADER = ["critere", "categorie", "effectif", "source", "annee"]
TEST_COLUMN = "test"
# A margin category with no complete cannot be weighted; staff merge it with a neighbour, and
# a run refuses weights that leave a margin further than this from its target (relative, any
# category), or whose adjustment factors leave FACTOR_BOUNDS (docs/poll.md).
ACCEPTED_GAP = 0.01


def region_answer_code(name):
    """The poll's answer code of a région: its official name in lower-case ASCII words joined
    by « _ » (« Provence-Alpes-Côte d'Azur » is provence_alpes_cote_d_azur)."""
    return "_".join(re.findall(r"[a-z0-9]+", unidecode(name).lower()))


@functools.cache
def region_codes():
    """{poll answer code: INSEE code} of every région, from the official list of collectivités
    (its `region_code`, which the collectivités' results use)."""
    return {region_answer_code(name): code for code, name in official_regions()}


COMMUNE_SIZES = {
    "moins_3500": PopulationBand.UNDER_3500,
    "de_3500_a_10000": PopulationBand.FROM_3500_TO_10000,
    "de_10000_a_100000": PopulationBand.FROM_10000_TO_100000,
    "plus_100000": PopulationBand.OVER_100000,
}
OFFICIAL_LIST_SOURCE = (
    "Liste officielle des collectivités de la base (découpage administratif) : "
    "population totale des communes, tous âges"
)


class MarginFileError(Exception):
    """Every problem of a margins file, in French, one per line."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def categories(edition):
    """The allowed categories of each criterion, from the questionnaire's answer codes."""
    codes = {
        key: set(
            edition.questions.get(code=code)
            .choices.filter(is_active=True)
            .values_list("code", flat=True)
        )
        for key, code in PROFILE_QUESTIONS.items()
        if key in ("age", "sex", "region", "commune_size")
    }
    codes["age"] -= {"moins_18"}
    return {
        MarginDimension.AGE_SEX: {f"{a}:{s}" for a in codes["age"] for s in codes["sex"]},
        MarginDimension.REGION: codes["region"],
        MarginDimension.COMMUNE_SIZE: codes["commune_size"],
    }


def read_margins(edition, text, test=False):
    """Margin objects (unsaved) from a file's text, or MarginFileError naming every problem.

    A category written `a+b` merges questionnaire categories into one margin; `test` (or a
    `test` column saying « oui ») marks the margins as test data, never published.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header not in (HEADER, [*HEADER, TEST_COLUMN]):
        raise MarginFileError(
            [f"Ligne 1 : l’en-tête doit être « {','.join(HEADER)} » (suivi de « ,test » "
             "pour des données de test)."]
        )  # fmt: skip
    allowed = categories(edition)
    problems, margins, seen = [], [], set()
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"Ligne {number} : {len(header)} colonnes attendues.")
            continue
        dimension, category, population, source, year, *flag = (cell.strip() for cell in row)
        if dimension not in MarginDimension.values:
            problems.append(
                f"Ligne {number} : critère inconnu « {dimension} » "
                f"(critères possibles : {', '.join(MarginDimension.values)})."
            )
            continue
        parts = [part.strip() for part in category.split(MERGE_SEPARATOR)]
        for part in parts:
            if part not in allowed[dimension]:
                problems.append(f"Ligne {number} : catégorie inconnue « {part} ».")
            elif (dimension, part) in seen:
                problems.append(f"Ligne {number} : « {part} » figure deux fois.")
            seen.add((dimension, part))
        if not population.isdecimal() or int(population) <= 0:
            problems.append(f"Ligne {number} : l’effectif doit être un nombre entier positif.")
        if not source:
            problems.append(f"Ligne {number} : la source manque.")
        if not (year.isdecimal() and len(year) == 4):
            problems.append(f"Ligne {number} : l’année doit avoir quatre chiffres.")
        if flag and flag[0].lower() not in ("oui", "non", ""):
            problems.append(f"Ligne {number} : la colonne test vaut « oui », « non » ou rien.")
        if not problems:
            margins.append(
                Margin(
                    edition=edition,
                    dimension=dimension,
                    category=MERGE_SEPARATOR.join(parts),
                    population=int(population),
                    source=source,
                    year=int(year),
                    is_test=test or (bool(flag) and flag[0].lower() == "oui"),
                )
            )
    for dimension in {margin.dimension for margin in margins}:
        covered = {part for m in margins if m.dimension == dimension for part in m.parts}
        missing = allowed[dimension] - covered
        if missing:
            problems.append(
                f"Critère « {dimension} » : il manque {', '.join(sorted(missing))} (une "
                "catégorie sans réponse se regroupe avec une voisine sur une ligne "
                "« a+b », docs/poll.md)."
            )
    if problems:
        raise MarginFileError(problems)
    if not margins:
        raise MarginFileError(["Le fichier ne contient aucune marge."])
    return margins


def replace_margins(edition, margins):
    """Replace the edition's margins of the criteria in `margins`, all at once."""
    with transaction.atomic():
        dimensions = {margin.dimension for margin in margins}
        Margin.objects.filter(edition=edition, dimension__in=dimensions).delete()
        Margin.objects.bulk_create(margins)
    return len(margins)


def margins_from_official_list(edition, year):
    """Région and commune-size margins summed from the communes' populations in the database."""
    communes = Collectivite.objects.filter(kind=CollectiviteKind.COMMUNE)
    margins = []
    for category, code in region_codes().items():
        population = sum(communes.filter(region_code=code).values_list("population", flat=True))
        if population:
            margins.append(
                Margin(edition=edition, dimension=MarginDimension.REGION, category=category,
                       population=population, source=OFFICIAL_LIST_SOURCE, year=year)
            )  # fmt: skip
    for category, band in COMMUNE_SIZES.items():
        population = sum(communes.filter(population_band=band).values_list("population", flat=True))
        if population:
            margins.append(
                Margin(edition=edition, dimension=MarginDimension.COMMUNE_SIZE,
                       category=category, population=population,
                       source=OFFICIAL_LIST_SOURCE, year=year)
            )  # fmt: skip
    if not margins:
        raise MarginFileError(["La liste officielle ne contient aucune commune avec population."])
    return margins


# The margins of the poll's weights, in the order of the raking: the first is the
# post-stratification margin, exact at the end.
WEIGHTING_DIMENSIONS = [
    MarginDimension.AGE_SEX,
    MarginDimension.REGION,
    MarginDimension.COMMUNE_SIZE,
]


def respondent_category(dimension, profile):
    """The category of a margin a respondent falls in, from their profile (None: no answer)."""
    if dimension == MarginDimension.AGE_SEX:
        if profile["age"] is None or profile["sex"] is None:
            return None
        return f"{profile['age']}:{profile['sex']}"
    if dimension == MarginDimension.REGION:
        return profile["region"]
    return profile["commune_size"]


# Where an empty category is merged, nearest first: bordering régions (the overseas ones with
# each other), the adjacent commune size, the adjacent age band of the same sex.
REGION_NEIGHBOURS = {
    "auvergne_rhone_alpes": ["bourgogne_franche_comte", "provence_alpes_cote_d_azur",
                             "occitanie", "nouvelle_aquitaine", "centre_val_de_loire"],
    "bourgogne_franche_comte": ["grand_est", "auvergne_rhone_alpes", "centre_val_de_loire",
                                "ile_de_france"],
    "bretagne": ["pays_de_la_loire", "normandie"],
    "centre_val_de_loire": ["ile_de_france", "pays_de_la_loire", "normandie",
                            "bourgogne_franche_comte", "nouvelle_aquitaine",
                            "auvergne_rhone_alpes"],
    "corse": ["provence_alpes_cote_d_azur"],
    "grand_est": ["hauts_de_france", "ile_de_france", "bourgogne_franche_comte"],
    "hauts_de_france": ["ile_de_france", "normandie", "grand_est"],
    "ile_de_france": ["hauts_de_france", "normandie", "centre_val_de_loire",
                      "bourgogne_franche_comte", "grand_est"],
    "normandie": ["bretagne", "pays_de_la_loire", "centre_val_de_loire", "ile_de_france",
                  "hauts_de_france"],
    "nouvelle_aquitaine": ["pays_de_la_loire", "centre_val_de_loire", "auvergne_rhone_alpes",
                           "occitanie"],
    "occitanie": ["nouvelle_aquitaine", "auvergne_rhone_alpes", "provence_alpes_cote_d_azur"],
    "pays_de_la_loire": ["bretagne", "normandie", "centre_val_de_loire", "nouvelle_aquitaine"],
    "provence_alpes_cote_d_azur": ["occitanie", "auvergne_rhone_alpes", "corse"],
    "guadeloupe": ["martinique", "guyane"],
    "martinique": ["guadeloupe", "guyane"],
    "guyane": ["martinique", "guadeloupe"],
    "la_reunion": ["mayotte"],
    "mayotte": ["la_reunion"],
}  # fmt: skip


def adjacent(order, code):
    """The codes before and after `code` in `order`, the smaller first."""
    position = order.index(code)
    return [order[i] for i in (position - 1, position + 1) if 0 <= i < len(order)]


def neighbours(edition, dimension, category):
    """The categories a category is merged with, nearest first."""
    if dimension == MarginDimension.REGION:
        return REGION_NEIGHBOURS.get(category, [])
    if dimension == MarginDimension.COMMUNE_SIZE:
        return adjacent(list(COMMUNE_SIZES), category)
    age, _, sex = category.partition(":")
    ages = list(
        edition.questions.get(code=PROFILE_QUESTIONS["age"])
        .choices.exclude(code__in=SCREENED_OUT_AGES)
        .order_by("position")
        .values_list("code", flat=True)
    )
    return [f"{other}:{sex}" for other in adjacent(ages, age)] if age in ages else []


def part_index(margins):
    """{questionnaire category: the key of the margin that covers it} of one criterion."""
    return {part: key for key, margin in margins.items() for part in margin.parts}


def merged_margin(edition, dimension, margins):
    """One unsaved margin for several: the sum of their counts, their sources."""
    sources = list(dict.fromkeys(margin.source for margin in margins))
    return Margin(
        edition=edition,
        dimension=dimension,
        category=MERGE_SEPARATOR.join(part for margin in margins for part in margin.parts),
        population=sum(margin.population for margin in margins),
        source=" ; ".join(sources),
        year=max(margin.year for margin in margins),
        is_test=any(margin.is_test for margin in margins),
    )


def apply_merges(edition, by_dimension, merges):
    """Merge the categories named by `weigh_poll --merge critere:a+b` (in place)."""
    for text in merges:
        dimension, _, category = text.partition(":")
        if dimension not in by_dimension:
            raise WeightingError(
                f"--merge {text} : critère inconnu « {dimension} » (critères possibles : "
                f"{', '.join(MarginDimension.values)})."
            )
        index = part_index(by_dimension[dimension])
        parts = [part.strip() for part in category.split(MERGE_SEPARATOR)]
        unknown = [part for part in parts if part not in index]
        if unknown or len(parts) < 2:
            raise WeightingError(
                f"--merge {text} : écrivez « critère:a+b » avec des catégories des marges "
                f"chargées ({'inconnue : ' + ', '.join(unknown) if unknown else 'une seule'})."
            )
        keys = list(dict.fromkeys(index[part] for part in parts))
        margins = [by_dimension[dimension].pop(key) for key in keys]
        merged = merged_margin(edition, dimension, margins)
        by_dimension[dimension][merged.category] = merged


def merge_advice(edition, by_dimension, counts, empty):
    """What to write to merge each empty category with its nearest neighbour with completes:
    the lines of the margins file, and the --merge options."""
    groups = {}  # (dimension, key with completes): [keys without]
    alone = []
    for dimension, key in empty:
        index = part_index(by_dimension[dimension])
        queue, visited, target = list(by_dimension[dimension][key].parts), set(), None
        while queue and target is None:
            part = queue.pop(0)
            if part in visited:
                continue
            visited.add(part)
            for neighbour in neighbours(edition, dimension, part):
                other = index.get(neighbour)
                if other is not None and counts[dimension].get(other):
                    target = other
                    break
                queue.append(neighbour)
        if target is None:
            alone.append(f"{dimension} {key}")
        else:
            groups.setdefault((dimension, target), []).append(key)
    lines, options = [], []
    for (dimension, target), keys in groups.items():
        margins = [by_dimension[dimension][key] for key in (*keys, target)]
        merged = merged_margin(edition, dimension, margins)
        line = f"{dimension},{merged.category},{merged.population},{merged.source},{merged.year}"
        lines.append(line + (",oui" if merged.is_test else ""))
        options.append(f"--merge {dimension}:{merged.category}")
    advice = ""
    if lines:
        advice = (
            " Regroupez chacune avec une voisine : dans le fichier de marges, remplacez les "
            "lignes de ces catégories et de leur voisine par "
            + " ; ".join(f"« {line} »" for line in lines)
            + f", puis rechargez-le (load_poll_margins) ; ou, sans changer le fichier : "
            f"« weigh_poll --edition {edition.year} {' '.join(options)} »."
        )
    if alone:
        advice += (
            f" Aucune voisine n’a de réponse pour : {', '.join(alone)} ; regroupez-les à la "
            "main (« a+b », docs/poll.md)."
        )
    return advice


def weigh(edition, user=None, bounds=FACTOR_BOUNDS, merges=()):
    """Calibrate the weights of the counted completes on the three margins; returns the run.

    Post-stratification on age × sex, bounded raking on région and commune size, age × sex
    exact at the end. The région and commune-size margins are brought to the age × sex total
    (their shares are kept). `merges` (« critere:a+b ») merge loaded categories for this run.
    A run that leaves a margin further than ACCEPTED_GAP or factors outside `bounds` is
    recorded as refused and its weights are not stored; otherwise they are scaled to average 1
    and stored.
    """
    margins = list(edition.margins.filter(dimension__in=WEIGHTING_DIMENSIONS))
    by_dimension = {
        dimension: {m.category: m for m in margins if m.dimension == dimension}
        for dimension in WEIGHTING_DIMENSIONS
    }
    missing = [d.label.lower() for d in WEIGHTING_DIMENSIONS if not by_dimension[d]]
    if missing:
        raise WeightingError(
            "Chargez d’abord les marges âge × sexe, région et taille de la commune de résidence "
            f"(manquantes : {', '.join(missing)})."
        )
    from_file = {(m.dimension, m.category) for m in margins if len(m.parts) > 1}
    apply_merges(edition, by_dimension, merges)
    participations = list(Participation.objects.counted().filter(edition=edition))
    if not participations:
        raise WeightingError("Aucune réponse complète à pondérer.")
    by_response = profiles_of([p.response_id for p in participations])
    profiles = [by_response[p.response_id] for p in participations]
    answered = {
        dimension: [respondent_category(dimension, profile) for profile in profiles]
        for dimension in WEIGHTING_DIMENSIONS
    }
    indexes = {dimension: part_index(by_dimension[dimension]) for dimension in WEIGHTING_DIMENSIONS}
    outside = []
    for dimension in WEIGHTING_DIMENSIONS:
        for category in sorted(set(answered[dimension]) - set(indexes[dimension]), key=str):
            count = answered[dimension].count(category)
            outside.append(f"{dimension} {category or 'sans réponse'} ({count})")
    if outside:
        # A respondent outside every category of a margin (no answer, an answer the margins
        # lack) would be dropped silently or guessed: neither, the margins must say.
        raise WeightingError(
            "Des réponses complètes n’ont pas de catégorie dans les marges : "
            f"{', '.join(outside)}. Chargez une marge pour chacune de ces catégories."
        )
    respondent_keys = {
        dimension: [indexes[dimension][category] for category in answered[dimension]]
        for dimension in WEIGHTING_DIMENSIONS
    }
    counts = {
        dimension: {key: keys.count(key) for key in set(keys)}
        for dimension, keys in respondent_keys.items()
    }
    empty = [
        (dimension, key)
        for dimension in WEIGHTING_DIMENSIONS
        for key in sorted(set(by_dimension[dimension]) - set(counts[dimension]))
    ]
    if empty:
        raise WeightingError(
            "Aucune réponse complète dans ces catégories des marges : "
            f"{', '.join(key for _, key in empty)}. Une catégorie sans réponse ne peut pas être "
            "pondérée." + merge_advice(edition, by_dimension, counts, empty)
        )

    age_sex = by_dimension[MarginDimension.AGE_SEX]
    total = sum(margin.population for margin in age_sex.values())
    raking_margins, categories_of = [], {}
    for dimension in WEIGHTING_DIMENSIONS:
        keys = sorted(by_dimension[dimension])
        populations = np.array([by_dimension[dimension][k].population for k in keys], dtype=float)
        targets = populations * total / populations.sum()
        index = np.array([keys.index(key) for key in respondent_keys[dimension]])
        raking_margins.append(RakingMargin(str(dimension), index, targets))
        categories_of[str(dimension)] = keys
    first = raking_margins[0]
    base = (first.targets / np.bincount(first.index))[first.index]
    raking = rake(base, raking_margins, bounds=bounds)

    snapshot, worst = [], {}
    for dimension, margin in zip(WEIGHTING_DIMENSIONS, raking_margins, strict=True):
        reached = np.bincount(margin.index, raking.weights, minlength=len(margin.targets))
        for key, target, weighted in zip(
            categories_of[str(dimension)], margin.targets, reached, strict=True
        ):
            source = by_dimension[dimension][key]
            gap = float(abs(weighted - target) / target)
            snapshot.append(
                {
                    "critere": str(dimension),
                    "categorie": key,
                    "effectif": source.population,
                    "cible": float(target),
                    "pondere": float(weighted),
                    "ecart": gap,
                    "source": source.source,
                    "annee": source.year,
                    "test": source.is_test,
                }
            )
            if gap > worst.get(str(dimension), ("", -1.0))[1]:
                worst[str(dimension)] = (key, gap)
    refusals = refusal_reasons(raking, worst, bounds)
    merged = [
        {
            "critere": str(dimension),
            "categories": key.split(MERGE_SEPARATOR),
            "origine": "fichier de marges" if (dimension, key) in from_file else "--merge",
        }
        for dimension in WEIGHTING_DIMENSIONS
        for key in sorted(by_dimension[dimension])
        if MERGE_SEPARATOR in key
    ]
    weights = raking.weights * len(participations) / total

    with transaction.atomic():
        if not refusals:
            Participation.objects.filter(edition=edition).update(weight=None)
            for participation, weight in zip(participations, weights, strict=True):
                participation.weight = float(weight)
            Participation.objects.bulk_update(participations, ["weight"])
        effective_n = float(weights.sum() ** 2 / (weights**2).sum())
        return WeightingRun.objects.create(
            edition=edition,
            created_by=user,
            weighted_count=len(participations),
            effective_n=effective_n,
            # (Σw)² / (n·Σw²) is at most 1; rounding must not push equal weights above it.
            kish_efficiency=min(effective_n / len(participations), 1.0),
            factor_min=raking.factor_min,
            factor_max=raking.factor_max,
            passes=raking.passes,
            gaps=raking.gaps,
            margins=snapshot,
            status=RunStatus.REFUSED if refusals else RunStatus.ACCEPTED,
            refusals=refusals,
            test_margins=any(entry["test"] for entry in snapshot),
            merged=merged,
        )


def refusal_reasons(raking, worst, bounds):
    """Why a raking's weights cannot be used, in French (empty: they can)."""
    labels = dict(MarginDimension.choices)
    reasons = []
    for dimension, (category, gap) in worst.items():
        if gap > ACCEPTED_GAP:
            reasons.append(
                f"Le calage n’a pas convergé sur la marge {labels[dimension].lower()} : après "
                f"{raking.passes} passe(s), la catégorie {category} reste à "
                f"{numbers.percent(gap)} de sa cible (tolérance : "
                f"{numbers.percent(ACCEPTED_GAP, 0)})."
            )
    low, high = bounds
    if raking.factor_min < low - 1e-9 or raking.factor_max > high + 1e-9:
        reasons.append(
            "Des facteurs d’ajustement sortent des bornes "
            f"{numbers.decimal_number(low, 1)} à {numbers.decimal_number(high, 1)} : de "
            f"{numbers.decimal_number(raking.factor_min, 2)} à "
            f"{numbers.decimal_number(raking.factor_max, 2)}."
        )
    return reasons
