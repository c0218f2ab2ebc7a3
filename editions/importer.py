"""Importing an edition's published table (counts per stratum and per option).

The format is the Observatoire's published one (docs/editions.md): columns `Question`,
`Structure`, `Réponses`, `Occurrences`, `Nombre de réponses`, `Effectifs par structure`,
`Pourcentage`, and an optional `Code` naming the question directly. Rows of derived strata
(« Une commune », « Total », « Total hors communes < 3500 habitants ») are checked against the sum
of their parts and not stored as counts; the totals' percentages, « Total pondéré » included (its
rows have percentages only), are stored as published (`PublishedPercentage`). Every problem is
reported with its line number, and nothing is written unless the whole file is right.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from unidecode import unidecode

from editions.models import (
    NationalCount,
    PublishedCount,
    PublishedPercentage,
    PublishedStratum,
    PublishedTotal,
)

COLUMNS = [
    "Question",
    "Structure",
    "Réponses",
    "Occurrences",
    "Nombre de réponses",
    "Effectifs par structure",
]
NO_ANSWER = "sans reponse"
STRATA = {
    "communes de moins de 3 500 hab.": PublishedStratum.COMMUNE_UNDER_3500,
    "communes de 3 500 a 10 000 hab.": PublishedStratum.COMMUNE_3500_10000,
    "communes de 10 000 a 100 000 hab.": PublishedStratum.COMMUNE_10000_100000,
    "communes de plus de 100 000 hab.": PublishedStratum.COMMUNE_OVER_100000,
    "un epci (hors metropole)": PublishedStratum.EPCI_EXCEPT_METROPOLE,
    "une metropole": PublishedStratum.EPCI_METROPOLE,
    "un departement": PublishedStratum.DEPARTEMENT,
    "une region": PublishedStratum.REGION,
    "autre": PublishedStratum.OTHER,
}
COMMUNES = [
    PublishedStratum.COMMUNE_UNDER_3500,
    PublishedStratum.COMMUNE_3500_10000,
    PublishedStratum.COMMUNE_10000_100000,
    PublishedStratum.COMMUNE_OVER_100000,
]
# Derived rows: the strata they add up.
DERIVED = {
    "une commune": COMMUNES,
    "total": list(PublishedStratum),
    "total hors communes < 3500 habitants": [
        stratum for stratum in PublishedStratum if stratum != PublishedStratum.COMMUNE_UNDER_3500
    ],
}
WEIGHTED_TOTAL = "total pondere"
# Total rows whose percentage is kept as published.
TOTALS = {
    "total": PublishedTotal.RAW,
    "total hors communes < 3500 habitants": PublishedTotal.WITHOUT_SMALL_COMMUNES,
    WEIGHTED_TOTAL: PublishedTotal.WEIGHTED,
}
NATIONAL_COLUMNS = ["strate", "collectivites", "source"]


class ImportRefused(Exception):
    """The file cannot be imported; `problems` lists every reason, in French."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def normalise(text):
    """A label without its typography: apostrophes, spaces, accents and case."""
    return " ".join(unidecode(text or "").replace("`", "'").casefold().split())


@dataclass
class Cell:
    line: int
    question: object
    choice_code: str
    occurrences: int
    answered: int
    respondents: int


def read_table(edition, text):
    """(cells, totals) of a published table for `edition`, checked; ImportRefused otherwise.

    `totals` maps (question code, PublishedTotal, choice code) to (question, percentage) for
    the total rows that give a percentage.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused([f"Colonnes manquantes : {', '.join(missing)}."])
    questions = list(edition.questions.prefetch_related("choices"))
    labels = {
        question.code: {
            normalise(label): code
            for code, label in question.kind_class.option_labels(question).items()
        }
        for question in questions
    }
    by_code = {question.code: question for question in questions}
    by_wording = {normalise(question.text): question for question in questions}
    problems, unknown_questions = [], {}
    cells, derived, totals = defaultdict(dict), [], {}
    for line, row in enumerate(reader, start=2):
        structure = normalise(row["Structure"])
        code = (row.get("Code") or "").strip()
        question = by_code.get(code) if code else by_wording.get(normalise(row["Question"]))
        if question is None:
            key = code or row["Question"].strip()
            unknown_questions.setdefault(key, [line, 0])[1] += 1
            continue
        where = f"ligne {line}"
        answer = normalise(row["Réponses"])
        choice_code = "" if answer == NO_ANSWER else labels[question.code].get(answer)
        if choice_code is None:
            problems.append(
                f"{where} : réponse « {row['Réponses'].strip()} » inconnue de la question "
                f"« {question.code} »."
            )
        if structure in TOTALS and choice_code is not None:
            percentage, percentage_problems = _percentage(where, row)
            problems += percentage_problems
            if percentage is not None:
                totals[(question.code, TOTALS[structure], choice_code)] = (question, percentage)
        if structure == WEIGHTED_TOTAL:
            continue  # percentages only
        numbers, number_problems = _numbers(where, row)
        problems += number_problems
        if number_problems or choice_code is None:
            continue
        cell = Cell(line, question, choice_code, *numbers)
        if structure in DERIVED:
            derived.append((structure, cell))
            continue
        stratum = STRATA.get(structure)
        if stratum is None:
            problems.append(f"{where} : strate « {row['Structure'].strip()} » inconnue.")
            continue
        key = (question.code, stratum, choice_code)
        if key in cells:
            problems.append(
                f"{where} : cette case est déjà donnée ligne {cells[key].line} "
                f"(« {question.code} », {stratum.label}, « {row['Réponses'].strip()} »)."
            )
            continue
        cells[key] = cell
    problems += [
        f"ligne {first} ({count} ligne(s)) : question inconnue de l'édition {edition.year} : "
        f"« {key} ». Ajoutez-la d'abord à son questionnaire."
        for key, (first, count) in unknown_questions.items()
    ]
    if not problems:
        problems += _check_strata(cells) + _check_derived(cells, derived)
    if problems:
        raise ImportRefused(problems)
    return cells, totals


def _percentage(where, row):
    """(the row's percentage as published, or None when the table has none; problems)."""
    raw = (row.get("Pourcentage") or "").strip()
    if not raw:
        return None, []
    try:
        percentage = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        percentage = None
    if (
        percentage is None
        or not percentage.is_finite()
        or not 0 <= percentage <= 100
        or percentage != round(percentage, 1)
    ):
        return None, [f"{where} : « Pourcentage » doit être un nombre de 0 à 100 (« {raw} »)."]
    return percentage, []


def _numbers(where, row):
    values, problems = [], []
    for column in COLUMNS[3:]:
        raw = (row[column] or "").strip()
        if not raw.isdigit():
            problems.append(f"{where} : « {column} » doit être un entier positif (« {raw} »).")
        else:
            values.append(int(raw))
    if problems:
        return None, problems
    occurrences, answered, respondents = values
    if occurrences > respondents or answered > respondents:
        problems.append(f"{where} : un effectif dépasse celui de la strate ({respondents}).")
    return values, problems


def _check_strata(cells):
    """Within a question and stratum: one base, and options that add up to it."""
    problems = []
    groups = defaultdict(list)
    for (code, stratum, _choice), cell in cells.items():
        groups[(code, stratum)].append(cell)
    for (code, stratum), group in groups.items():
        first = min(group, key=lambda cell: cell.line)
        where = f"ligne {first.line} (« {code} », {stratum.label})"
        if len({(cell.answered, cell.respondents) for cell in group}) > 1:
            problems.append(
                f"{where} : « Nombre de réponses » et « Effectifs » varient d'une ligne à l'autre."
            )
            continue
        no_answer = sum(cell.occurrences for cell in group if cell.choice_code == "")
        if first.answered + no_answer != first.respondents:
            problems.append(
                f"{where} : réponses ({first.answered}) et « Sans réponse » ({no_answer}) ne font "
                f"pas l'effectif de la strate ({first.respondents})."
            )
        options = sum(cell.occurrences for cell in group if cell.choice_code)
        if first.question.kind_class.one_option_per_answer and options != first.answered:
            problems.append(
                f"{where} : les réponses ({options}) ne font pas le nombre de réponses "
                f"({first.answered})."
            )
    return problems


def _check_derived(cells, derived):
    problems = []
    for structure, cell in derived:
        parts = [
            cells.get((cell.question.code, stratum, cell.choice_code))
            for stratum in DERIVED[structure]
        ]
        parts = [part for part in parts if part is not None]
        if sum(part.occurrences for part in parts) != cell.occurrences:
            problems.append(
                f"ligne {cell.line} : « {cell.question.code} » n'est pas la somme de ses strates "
                f"({cell.occurrences} ≠ {sum(part.occurrences for part in parts)})."
            )
    return problems


def read_national_counts(text):
    """N_h per stratum: {stratum: (count, source)}; ImportRefused otherwise."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in NATIONAL_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused([f"Effectifs nationaux : colonnes manquantes : {', '.join(missing)}."])
    counts, problems = {}, []
    for line, row in enumerate(reader, start=2):
        code, raw = (row["strate"] or "").strip(), (row["collectivites"] or "").strip()
        if code not in PublishedStratum.values or code == PublishedStratum.OTHER:
            problems.append(f"Effectifs nationaux, ligne {line} : strate « {code} » inconnue.")
        elif not raw.isdigit() or int(raw) == 0:
            problems.append(
                f"Effectifs nationaux, ligne {line} : « collectivites » doit être un entier "
                f"strictement positif (« {raw} »)."
            )
        elif code in counts:
            problems.append(f"Effectifs nationaux, ligne {line} : strate « {code} » répétée.")
        else:
            counts[PublishedStratum(code)] = (int(raw), (row["source"] or "").strip())
    absent = [s.value for s in PublishedStratum if s != PublishedStratum.OTHER and s not in counts]
    if absent and not problems:
        problems.append(f"Effectifs nationaux : strates sans effectif : {', '.join(absent)}.")
    if problems:
        raise ImportRefused(problems)
    return counts


def import_published(edition, table_text, national_text):
    """Replace the edition's published counts and national counts; return the cell count."""
    national = read_national_counts(national_text)
    cells, totals = read_table(edition, table_text)
    with transaction.atomic():
        PublishedPercentage.objects.filter(question__edition=edition).delete()
        PublishedCount.objects.filter(question__edition=edition).delete()
        NationalCount.objects.filter(edition=edition).delete()
        NationalCount.objects.bulk_create(
            NationalCount(edition=edition, stratum=stratum, collectivite_count=n, source=source)
            for stratum, (n, source) in national.items()
        )
        PublishedCount.objects.bulk_create(
            PublishedCount(
                question=cell.question,
                stratum=stratum,
                choice_code=cell.choice_code,
                occurrences=cell.occurrences,
                answered=cell.answered,
                respondents=cell.respondents,
            )
            for (_code, stratum, _choice), cell in cells.items()
        )
        PublishedPercentage.objects.bulk_create(
            PublishedPercentage(
                question=question, total=total, choice_code=choice_code, percentage=percentage
            )
            for (_code, total, choice_code), (question, percentage) in totals.items()
        )
    return len(cells)
