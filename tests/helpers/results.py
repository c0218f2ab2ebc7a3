"""Results shared by tests: a made-up 2023 table, a 2025 computation, the load of `make run`."""

import re
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from results.models import Computation, Estimate, Frame, Reliability

ROOT = Path(__file__).resolve().parent.parent.parent

NATIONAL = (ROOT / "data" / "national-counts-2023.csv").read_text(encoding="utf-8")


HEADER = (
    "Question,Structure,Réponses,Occurrences,Nombre de réponses,Effectifs par structure,"
    "Pourcentage\n"
)


# A made-up 2023 table for the AI question (test data): (oui, non, nsp) per stratum.
AI_2023 = {
    "Communes de moins de 3 500 hab.": (1, 7, 0),
    "Communes de 3 500 à 10 000 hab.": (2, 4, 0),
    "Communes de 10 000 à 100 000 hab.": (4, 6, 0),
    "Communes de plus de 100 000 hab.": (3, 2, 0),
    "Un EPCI (hors métropole)": (10, 20, 3),
    "Une métropole": (8, 10, 0),
    "Un département": (9, 15, 1),
    "Une région": (3, 7, 0),
}


# A made-up table large enough for the publication rule (test data).
LARGE_AI_2023 = {
    "Communes de moins de 3 500 hab.": (30, 350, 20),
    "Communes de 3 500 à 10 000 hab.": (40, 150, 10),
    "Communes de 10 000 à 100 000 hab.": (60, 130, 10),
    "Communes de plus de 100 000 hab.": (15, 20, 0),
    "Un EPCI (hors métropole)": (60, 120, 20),
    "Une métropole": (10, 8, 0),
    "Un département": (40, 50, 5),
    "Une région": (8, 8, 0),
}


def ai_table(codes=("usage_ia",), table=AI_2023):
    rows = []
    for code in codes:
        for structure, (oui, non, nsp) in table.items():
            total = oui + non + nsp
            for label, count in (("Oui", oui), ("Non", non), ("Je ne sais pas", nsp)):
                rows.append(f"x,{structure},{label},{count},{total},{total},0,{code}")
    return HEADER.replace("Pourcentage\n", "Pourcentage,Code\n") + "\n".join(rows)


def computation_2025(edition, figures):
    """A stored 2025 computation with the given (question, choice, value, cv, base_n)."""
    frame = Frame.objects.create(edition=edition, frozen_at=timezone.now(), source="test")
    computation = Computation.objects.create(
        edition=edition,
        frame=frame,
        computed_at=timezone.now(),
        respondent_count=300,
        method="test",
        factor_min=1,
        factor_max=1,
        weight_min=1,
        weight_max=1,
        kish_efficiency=1,
        effective_n=300,
        interval_method="logit",
    )
    for code, choice, value, cv, base_n in figures:
        Estimate.objects.create(
            computation=computation,
            question=edition.questions.get(code=code),
            domain="toutes",
            domain_label="Toutes collectivités",
            choice_code=choice,
            base="test",
            n=round(value * base_n),
            base_n=base_n,
            value=value,
            ci_low=value * 0.8,
            ci_high=min(1, value * 1.2),
            cv=cv,
            reliability=Reliability.PUBLISHED,
        )
    return computation


def shipped_questionnaires():
    """The questionnaire files in the order the Makefile loads them."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    (line,) = re.findall(r"^QUESTIONNAIRES := (.*)$", text, re.M)
    return [ROOT / name for name in line.split()]


def load_as_make_run():
    """What `make load` does after migrating: every questionnaire, the 2023 published table,
    the official list."""
    call_command("load_questionnaire", *shipped_questionnaires(), verbosity=0)
    call_command(
        "import_published_counts",
        ROOT / "data" / "published-2023.csv",
        edition=2023,
        national=ROOT / "data" / "national-counts-2023.csv",
        verbosity=0,
    )
    call_command("load_collectivites", verbosity=0)
