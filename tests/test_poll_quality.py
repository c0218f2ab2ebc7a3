import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from poll.models import Flag, Outcome, Participation
from tests.poll_sample import PAGES, answer_pages, poll_edition

pytestmark = pytest.mark.django_db

JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)
CHANGELIST = reverse("admin:poll_participation_changelist")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(JUNE, tick=False)
    return time_machine


@pytest.fixture
def edition(clock):
    return poll_edition(min_seconds=300)


def complete(client, clock, pid, minutes=8, **changes):
    client.get("/sondage/", {"pid": pid})
    answer_pages(client, list(PAGES)[:-1], **changes)
    clock.shift(datetime.timedelta(minutes=minutes))
    answer_pages(client, list(PAGES)[-1:], **changes)
    return Participation.objects.get(panel_id=pid)


def test_a_careful_respondent_has_no_flag(client, clock, edition):
    assert complete(client, clock, "careful").flags == []


def test_a_sitting_quicker_than_the_minimum_time_is_flagged_too_fast(client, clock, edition):
    participation = complete(client, clock, "quick", minutes=4)
    assert participation.flags == [Flag.TOO_FAST]


def test_the_same_column_down_a_whole_grid_is_flagged_as_straightlining(client, clock, edition):
    same = {
        f"q-usages_acceptables-{row}": "tres_favorable"
        for row in [
            "repondre_questions", "traiter_demandes", "aider_agents", "traduire",
            "entretien_reseaux", "mobilite", "energie", "videoprotection", "attribuer_aides",
        ]
    }  # fmt: skip
    participation = complete(client, clock, "straight", usages=same)
    assert participation.flags == [Flag.STRAIGHTLINING]


def test_a_missed_attention_check_is_flagged(client, clock, edition):
    missed = {"q-risques-controle_attention": "tres_preoccupant"}
    participation = complete(client, clock, "inattentive", inquietudes=missed)
    assert participation.flags == [Flag.ATTENTION]


def test_flagged_responses_are_kept_and_counted_until_staff_exclude_them(client, clock, edition):
    flagged = complete(client, clock, "quick", minutes=1)
    assert flagged.outcome == Outcome.COMPLETE
    assert flagged.flags
    assert list(Participation.objects.counted()) == [flagged]


def test_staff_exclude_a_flagged_response_from_the_results_and_may_take_it_back(
    client, client_factory, clock, edition
):
    flagged = complete(client, clock, "quick", minutes=1)
    admin = client_factory()
    user = User.objects.create_superuser("admin")
    admin.force_login(user)
    listing = admin.get(CHANGELIST, {"signalee": "oui"})
    assert "trop_rapide" in listing.content.decode()
    admin.post(CHANGELIST, {"action": "exclude_from_results", "_selected_action": [flagged.pk]})
    flagged.refresh_from_db()
    assert flagged.excluded and flagged.excluded_by == user
    assert flagged.response.answers.exists()  # kept, marked
    assert not Participation.objects.counted().exists()
    admin.post(CHANGELIST, {"action": "include_in_results", "_selected_action": [flagged.pk]})
    assert list(Participation.objects.counted()) == [flagged]


def test_the_institutes_export_carries_the_panel_id_and_the_outcome_but_no_answer(
    client, client_factory, clock, edition
):
    participation = complete(client, clock, "id-77")
    admin = client_factory()
    admin.force_login(User.objects.create_superuser("admin"))
    export = admin.post(
        CHANGELIST, {"action": "export_for_institute", "_selected_action": [participation.pk]}
    )
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["pid", "issue", "exclue"],
        ["id-77", "complete", "non"],
    ]


def test_staff_read_a_sittings_answers_next_to_its_flags(client, client_factory, clock, edition):
    missed = {"q-risques-controle_attention": "tres_preoccupant"}
    participation = complete(client, clock, "reader", inquietudes=missed)
    admin = client_factory()
    admin.force_login(User.objects.create_superuser("admin"))
    page = admin.get(reverse("admin:poll_participation_change", args=[participation.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "25 à 34 ans" in text and "Bretagne" in text
    assert Flag.ATTENTION.value in text


def test_the_observatoire_group_reads_the_poll_but_only_named_staff_exclude(
    client, client_factory, clock, edition
):
    participation = complete(client, clock, "followed", minutes=2)
    member = User.objects.create_user("observatoire", is_staff=True)
    member.groups.add(Group.objects.get(name="Observatoire"))
    reader = client_factory()
    reader.force_login(member)
    listing = reader.get(CHANGELIST)
    assert listing.status_code == 200, listing.content.decode()[:3000]
    assert "trop_rapide" in listing.content.decode()
    assert "exclude_from_results" not in listing.content.decode()
    page = reader.get(reverse("admin:poll_participation_change", args=[participation.pk]))
    assert "25 à 34 ans" in page.content.decode()
    refused = reader.post(
        CHANGELIST, {"action": "exclude_from_results", "_selected_action": [participation.pk]}
    )
    assert refused.status_code in (200, 302)
    participation.refresh_from_db()
    assert not participation.excluded
    for model in ["quota", "fieldwork", "margin", "weightingrun"]:
        assert reader.get(reverse(f"admin:poll_{model}_changelist")).status_code == 200
