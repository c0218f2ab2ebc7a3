"""The poll's margins (loaded by staff from a file) and the weights calibrated to them.

File format (docs/poll.md): CSV in UTF-8, comma-separated, one margin a line, with the header
`critere,categorie,effectif,source,annee`:

- `critere`: `age_sexe`, `region` or `taille_commune`;
- `categorie`: the answer code of the questionnaire (`bretagne`, `moins_3500`), or
  `<age>:<sexe>` for age × sex (`age_25_34:femme`);
- `effectif`: the population of the category, a whole number;
- `source` and `annee`: the published table it comes from, and its year.

Loading a file replaces the margins of the criteria it contains, all or nothing.

Weights (`weigh`): post-stratification on age × sex, then bounded raking on région and
commune size with results.weighting.rake, the collectivités' raking loop; age × sex is exact at
the end. Each run is recorded as a WeightingRun with a copy of its margins (docs/poll.md).
"""

import csv
import io

import numpy as np
from django.db import transaction

from poll.models import Margin, MarginDimension, Participation, WeightingRun
from poll.profile import PROFILE_QUESTIONS, profile_of
from results.weighting import FACTOR_BOUNDS, RakingMargin, WeightingError, rake
from survey.collectivites.models import Collectivite
from survey.enums import CollectiviteKind, PopulationBand

HEADER = ["critere", "categorie", "effectif", "source", "annee"]

# The INSEE code of each région of the questionnaire (the official list's `region_code`).
REGION_CODES = {
    "auvergne_rhone_alpes": "84",
    "bourgogne_franche_comte": "27",
    "bretagne": "53",
    "centre_val_de_loire": "24",
    "corse": "94",
    "grand_est": "44",
    "hauts_de_france": "32",
    "ile_de_france": "11",
    "normandie": "28",
    "nouvelle_aquitaine": "75",
    "occitanie": "76",
    "pays_de_la_loire": "52",
    "provence_alpes_cote_d_azur": "93",
    "guadeloupe": "01",
    "martinique": "02",
    "guyane": "03",
    "la_reunion": "04",
    "mayotte": "06",
}
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


def read_margins(edition, text):
    """Margin objects (unsaved) from a file's text, or MarginFileError naming every problem."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header != HEADER:
        raise MarginFileError([f"Ligne 1 : l’en-tête doit être « {','.join(HEADER)} »."])
    allowed = categories(edition)
    problems, margins, seen = [], [], set()
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            problems.append(f"Ligne {number} : {len(HEADER)} colonnes attendues.")
            continue
        dimension, category, population, source, year = (cell.strip() for cell in row)
        if dimension not in MarginDimension.values:
            problems.append(
                f"Ligne {number} : critère inconnu « {dimension} » "
                f"(critères possibles : {', '.join(MarginDimension.values)})."
            )
            continue
        if category not in allowed[dimension]:
            problems.append(f"Ligne {number} : catégorie inconnue « {category} ».")
        if not population.isdecimal() or int(population) <= 0:
            problems.append(f"Ligne {number} : l’effectif doit être un nombre entier positif.")
        if not source:
            problems.append(f"Ligne {number} : la source manque.")
        if not (year.isdecimal() and len(year) == 4):
            problems.append(f"Ligne {number} : l’année doit avoir quatre chiffres.")
        if (dimension, category) in seen:
            problems.append(f"Ligne {number} : « {category} » figure deux fois.")
        seen.add((dimension, category))
        if not problems:
            margins.append(
                Margin(
                    edition=edition,
                    dimension=dimension,
                    category=category,
                    population=int(population),
                    source=source,
                    year=int(year),
                )
            )
    for dimension in {margin.dimension for margin in margins}:
        missing = allowed[dimension] - {m.category for m in margins if m.dimension == dimension}
        if missing:
            problems.append(f"Critère « {dimension} » : il manque {', '.join(sorted(missing))}.")
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
    for category, code in REGION_CODES.items():
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


def weigh(edition, user=None, bounds=FACTOR_BOUNDS):
    """Calibrate the weights of the counted completes on the three margins; returns the run.

    Post-stratification on age × sex, bounded raking on région and commune size, age × sex
    exact at the end. The région and commune-size margins are brought to the age × sex total
    (their shares are kept). Weights are scaled to average 1 and recorded with a WeightingRun.
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
    participations = list(
        Participation.objects.counted().filter(edition=edition).select_related("response")
    )
    if not participations:
        raise WeightingError("Aucune réponse complète à pondérer.")
    profiles = [profile_of(p.response.values_by_code()) for p in participations]
    respondent_categories = {
        dimension: [respondent_category(dimension, profile) for profile in profiles]
        for dimension in WEIGHTING_DIMENSIONS
    }
    outside = []
    for dimension in WEIGHTING_DIMENSIONS:
        answered = respondent_categories[dimension]
        for category in sorted(set(answered) - set(by_dimension[dimension]), key=str):
            count = answered.count(category)
            outside.append(f"{dimension} {category or 'sans réponse'} ({count})")
    if outside:
        # A respondent outside every category of a margin (no answer, an answer the margins
        # lack) would be dropped silently or guessed: neither, the margins must say.
        raise WeightingError(
            "Des réponses complètes n’ont pas de catégorie dans les marges : "
            f"{', '.join(outside)}. Chargez une marge pour chacune de ces catégories."
        )
    empty = [
        category
        for dimension in WEIGHTING_DIMENSIONS
        for category in sorted(set(by_dimension[dimension]) - set(respondent_categories[dimension]))
    ]
    if empty:
        raise WeightingError(
            "Aucune réponse complète dans ces catégories des marges : "
            f"{', '.join(empty)}. Regroupez-les dans le fichier de marges avant de pondérer."
        )

    age_sex = by_dimension[MarginDimension.AGE_SEX]
    total = sum(margin.population for margin in age_sex.values())
    raking_margins, snapshot = [], []
    for dimension in WEIGHTING_DIMENSIONS:
        keys = sorted(by_dimension[dimension])
        populations = np.array([by_dimension[dimension][k].population for k in keys], dtype=float)
        targets = populations * total / populations.sum()
        index = np.array([keys.index(c) for c in respondent_categories[dimension]])
        raking_margins.append(RakingMargin(str(dimension), index, targets))
        for key, target in zip(keys, targets, strict=True):
            margin = by_dimension[dimension][key]
            snapshot.append(
                {
                    "critere": str(dimension),
                    "categorie": key,
                    "effectif": margin.population,
                    "cible": float(target),
                    "source": margin.source,
                    "annee": margin.year,
                }
            )
    first = raking_margins[0]
    base = (first.targets / np.bincount(first.index))[first.index]
    raking = rake(base, raking_margins, bounds=bounds)
    weights = raking.weights * len(participations) / total

    with transaction.atomic():
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
        )
