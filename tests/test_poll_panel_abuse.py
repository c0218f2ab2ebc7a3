"""The poll's panel against abuse: minors screened out on every path, signed panel links,
a rate-limited entry, and what excluding a sitting does to the quotas (issue 23, points 3
and 4)."""

import datetime

import pytest

from poll.models import Dimension, Outcome, Participation, Quota
from survey.enums import ResponseStatus
from tests.poll_sample import PAGES, answer_pages, poll_edition

pytestmark = pytest.mark.django_db

JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)
ALL_PAGES = list(PAGES)
SCREENED_OUT = "https://panel.example/retour?statut=hors-cible&id="


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(JUNE, tick=False)
    return time_machine


@pytest.fixture
def edition(clock):
    return poll_edition()


def arrive(client, pid="PANEL-42", **more):
    return client.get("/sondage/", {"pid": pid, **more})


# -- Point 3: a minor never completes ------------------------------------------------------


def test_a_profile_re_posted_as_a_minor_with_previous_ends_the_sitting_screened_out(
    client, edition
):
    arrive(client, pid="minor2")
    answer_pages(client, ["profil", "regard"])
    minor = {**PAGES["profil"], "q-profil_age": "moins_18", "action": "previous"}
    page = client.post("/sondage/page/profil/", minor)
    assert page["Location"] == SCREENED_OUT + "minor2"
    participation = Participation.objects.get()
    assert participation.outcome == Outcome.SCREENED_OUT
    # The sitting is over: finishing the pages only sends the browser back.
    page = client.post("/sondage/page/decision/", {**PAGES["decision"], "action": "continue"})
    assert page["Location"] == SCREENED_OUT + "minor2"
    assert participation.response.status != ResponseStatus.SUBMITTED


def test_an_age_autosaved_as_a_minor_is_screened_out_at_the_end_and_counts_nowhere(client, edition):
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.REGION, region="bretagne", target=5
    )
    arrive(client, pid="minor3")
    answer_pages(client, ["profil"])
    saved = client.post("/sondage/page/profil/autosave/", {"q-profil_age": "moins_18"})
    assert saved.json()["saved"] is True
    page = answer_pages(client, ALL_PAGES[1:])
    assert page["Location"] == SCREENED_OUT + "minor3"
    participation = Participation.objects.get()
    assert participation.outcome == Outcome.SCREENED_OUT
    assert participation.response.status != ResponseStatus.SUBMITTED
    assert not Participation.objects.counted().exists()
    cell.refresh_from_db()
    assert cell.completes == 0
