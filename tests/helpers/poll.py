"""Both sides of 2025 weighted, for the crossed pages: collectivités and citizens."""

import datetime
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from results.estimation import run_computation
from results.models import Frame
from survey.enums import CollectiviteKind
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import CollectiviteFactory
from tests.poll_sample import PAGES, PROFILE, answer_pages, poll_edition, quick_complete
from tests.sample import answer, submitted

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_MARGINS = ROOT / "data" / "poll" / "marges-TEST.csv"
SOURCE = "INSEE : estimations de population (table de la fixture)"
BEFORE = datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC)
JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)
WEIGHED = datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC)


def real_margins(folder):
    """The shipped test file's counts as if they came from a published table: not marked."""
    lines = TEST_MARGINS.read_text("utf-8").splitlines()
    text = "critere,categorie,effectif,source,annee\n" + "".join(
        ",".join([*line.split(",")[:3], SOURCE, "2024"]) + "\n" for line in lines[1:]
    )
    path = folder / "marges.csv"
    path.write_text(text, "utf-8")
    return path


def weigh_both_sides(clock, folder):
    """Sixty collectivités and sixty citizens who answered the risks, each side weighted: enough
    for the publication rule (an effective size of 30 or more, intervals under 30 points).
    `clock` (time-machine's, stopped at BEFORE) is left at WEIGHED. Returns (poll, barometer)."""
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    load_questionnaire(ROOT / "questionnaires" / "2025.toml")
    barometer = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    communes = [
        CollectiviteFactory(kind=CollectiviteKind.COMMUNE, region_code="53", population=800 + i)
        for i in range(180)
    ]
    frame = Frame.freeze(barometer)  # a third of the communes answer: not a census
    clock.move_to(JUNE)
    for index, commune in enumerate(communes[:60]):
        response = submitted(barometer, collectivite=commune)
        worry = "tres_preoccupant" if index % 3 else "peu_preoccupant"
        answer(response, "diff_risques", {"biais": worry, "erreurs": "assez_preoccupant"})
    poll = poll_edition()
    # Two citizens answer through the pages, the others are saved directly (faster).
    for index in range(2):
        client = Client()
        worry = "tres_preoccupant" if index % 2 else "assez_preoccupant"
        client.get("/sondage/", {"pid": f"c{index}"})
        answer_pages(client, list(PAGES), inquietudes={"q-risques-biais": worry})
    risks = {key.removeprefix("q-risques-"): value for key, value in PAGES["inquietudes"].items()
             if key.startswith("q-risques-")}  # fmt: skip
    for index in range(2, 60):
        worry = "tres_preoccupant" if index % 2 else "assez_preoccupant"
        quick_complete(poll, f"c{index}", {**PROFILE, "risques": {**risks, "biais": worry}})
    call_command("load_poll_margins", "--edition", "2025", str(real_margins(folder)))
    # Every citizen here is a woman of 25 to 34 in a small commune of Bretagne: the margins
    # of the others go.
    poll.margins.exclude(category__in=["age_25_34:femme", "bretagne", "moins_3500"]).delete()
    clock.move_to(WEIGHED)
    run_computation(frame)
    call_command("weigh_poll", "--edition", "2025")
    return poll, barometer
