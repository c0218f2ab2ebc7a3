import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from poll.models import Dimension, Fieldwork, Outcome, Participation, Quota, QuotaFull
from survey.collection.models import Respondent
from survey.enums import ResponseStatus
from tests.poll_sample import PAGES, PROFILE, answer_pages, poll_edition

pytestmark = pytest.mark.django_db

JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)
ALL_PAGES = list(PAGES)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(JUNE, tick=False)
    return time_machine


@pytest.fixture
def edition(clock):
    return poll_edition()


def arrive(client, pid="PANEL-42"):
    return client.get("/sondage/", {"pid": pid})


def test_a_panel_link_starts_an_anonymous_sitting_on_the_first_page(client, edition):
    page = arrive(client)
    assert page.status_code == 302
    assert page["Location"] == "/sondage/page/profil/"
    assert page.cookies["sondage_participation"]["httponly"]
    participation = Participation.objects.get()
    assert participation.panel_id == "PANEL-42"
    assert participation.outcome == Outcome.IN_PROGRESS
    assert not Respondent.objects.exists()
    first = client.get("/sondage/page/profil/")
    assert "Quel âge avez-vous" in first.content.decode()


def test_a_complete_sitting_is_sent_and_goes_back_to_the_institute_with_its_id(
    client, edition, clock
):
    arrive(client, pid="abc.123")
    answer_pages(client, ALL_PAGES[:-1])
    clock.shift(datetime.timedelta(minutes=8))
    last = answer_pages(client, ALL_PAGES[-1:])
    assert last["Location"] == "https://panel.example/retour?statut=complet&id=abc.123"
    participation = Participation.objects.get()
    assert participation.outcome == Outcome.COMPLETE
    assert participation.flags == []
    assert participation.response.status == ResponseStatus.SUBMITTED
    assert participation.response.values_by_code()["risques"]["biais"] == "tres_preoccupant"
    assert mail.outbox == []


def test_a_minor_is_screened_out_after_the_profile(client, edition):
    arrive(client, pid="minor1")
    page = answer_pages(client, ["profil"], profil={"q-profil_age": "moins_18"})
    assert page["Location"] == "https://panel.example/retour?statut=hors-cible&id=minor1"
    assert Participation.objects.get().outcome == Outcome.SCREENED_OUT


def test_a_full_cell_sends_the_respondent_to_quota_full_right_after_the_profile(client, edition):
    Quota.objects.create(edition=edition, dimension=Dimension.REGION, region="bretagne", target=0)
    arrive(client, pid="late1")
    page = answer_pages(client, ["profil"])
    assert page["Location"] == "https://panel.example/retour?statut=quota&id=late1"
    assert Participation.objects.get().outcome == Outcome.QUOTA_FULL


def test_a_cell_that_fills_during_the_sitting_ends_it_as_quota_full_and_uncounted(client, edition):
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=1
    )
    arrive(client, pid="slow1")
    answer_pages(client, ALL_PAGES[:-1])
    Quota.objects.filter(pk=cell.pk).update(completes=1)  # someone else finished first
    page = answer_pages(client, ALL_PAGES[-1:])
    assert page["Location"] == "https://panel.example/retour?statut=quota&id=slow1"
    participation = Participation.objects.get()
    assert participation.outcome == Outcome.QUOTA_FULL
    assert participation.response.status == ResponseStatus.DRAFT
    cell.refresh_from_db()
    assert cell.completes == 1


def test_a_complete_counts_once_in_its_age_sex_cell_and_its_region(client, edition):
    cells = [
        Quota.objects.create(
            edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=3
        ),
        Quota.objects.create(
            edition=edition, dimension=Dimension.REGION, region="bretagne", target=3
        ),
        Quota.objects.create(
            edition=edition, dimension=Dimension.REGION, region="normandie", target=3
        ),
    ]
    arrive(client)
    answer_pages(client, ALL_PAGES)
    assert [Quota.objects.get(pk=cell.pk).completes for cell in cells] == [1, 1, 0]


def test_reloading_a_page_keeps_what_autosave_stored(client, edition):
    arrive(client)
    answer_pages(client, ["profil"])
    saved = client.post("/sondage/page/regard/autosave/", {"q-ia_sentiment": "tres_negatif"})
    assert saved.json()["saved"] is True
    reloaded = client.get("/sondage/page/regard/").content.decode()
    assert 'value="tres_negatif" checked' in reloaded or (
        'checked value="tres_negatif"' in reloaded
    )
    response = Participation.objects.get().response
    assert response.values_by_code()["ia_sentiment"] == {"choice": "tres_negatif"}


def test_pages_are_answered_in_order_from_the_profile(client, edition):
    arrive(client)
    page = client.get("/sondage/page/decision/")
    assert page.status_code == 302
    assert page["Location"] == "/sondage/page/profil/"


def test_a_finished_sitting_goes_back_to_the_institute_instead_of_answering_again(client, edition):
    arrive(client, pid="done1")
    answer_pages(client, ["profil"], profil={"q-profil_age": "moins_18"})
    again = client.get("/sondage/page/regard/")
    assert again["Location"] == "https://panel.example/retour?statut=hors-cible&id=done1"
    assert arrive(client, pid="done1")["Location"] == again["Location"]


def test_the_same_panel_id_in_another_browser_does_not_start_a_second_sitting(
    client, client_factory, edition
):
    arrive(client, pid="twice")
    other = client_factory()
    page = arrive(other, pid="twice")
    assert page.status_code == 409
    assert "déjà été ouvert" in page.content.decode()
    assert Participation.objects.count() == 1


@pytest.mark.parametrize("query", [{}, {"pid": ""}, {"pid": "=HYPERLINK(1)"}, {"pid": "x" * 101}])
def test_a_link_without_a_valid_panel_id_gets_a_clear_message(client, edition, query):
    page = client.get("/sondage/", query)
    assert page.status_code == 400
    assert "identifiant de panel" in page.content.decode()
    assert not Participation.objects.exists()


def test_pages_without_a_sitting_say_how_to_take_part(client, edition):
    page = client.get("/sondage/page/profil/")
    assert page.status_code == 400
    assert "lien que l’institut vous a envoyé" in page.content.decode()


def test_a_closed_poll_says_so_and_starts_nothing(client, edition, clock):
    clock.move_to(datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC), tick=False)
    page = arrive(client)
    assert page.status_code == 403
    assert "Le sondage est clos" in page.content.decode()
    assert not Participation.objects.exists()


def test_a_return_address_without_the_panel_id_placeholder_is_refused(edition):
    fieldwork = edition.fieldwork
    fieldwork.complete_url = "https://panel.example/retour"
    with pytest.raises(ValidationError) as error:
        fieldwork.full_clean()
    assert "{pid}" in str(error.value)


def test_the_panel_id_is_escaped_in_the_return_address(edition):
    assert (
        edition.fieldwork.outcome_url(Outcome.COMPLETE, "a~b")
        == "https://panel.example/retour?statut=complet&id=a~b"
    )


def test_a_quota_refuses_a_count_beyond_its_target_in_the_database(edition):
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.REGION, region="corse", target=1
    )
    Quota.objects.claim(edition, {"age": None, "sex": None, "region": "corse"})
    with pytest.raises(QuotaFull):
        Quota.objects.claim(edition, {"age": None, "sex": None, "region": "corse"})
    cell.refresh_from_db()
    assert cell.completes == 1


def test_a_refused_cell_leaves_the_other_cells_of_the_profile_uncounted(edition):
    open_cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_18_24", sex="homme", target=5
    )
    Quota.objects.create(edition=edition, dimension=Dimension.REGION, region="corse", target=0)
    with pytest.raises(QuotaFull):
        Quota.objects.claim(edition, {"age": "age_18_24", "sex": "homme", "region": "corse"})
    open_cell.refresh_from_db()
    assert open_cell.completes == 0


def _in_threads(count, work):
    """Run `work(i)` in `count` threads released together; each closes its connection."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # reported by the assertion of the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [result for result in results if isinstance(result, Exception)]
    if errors:
        raise errors[0]  # a thread's own failure (a lost connection, say), not a count
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_postgresql_never_count_beyond_the_target():
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's row locking")
    edition = poll_edition()
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.REGION, region="bretagne", target=10
    )
    profile = {"age": None, "sex": None, "region": "bretagne"}

    def claim(_):
        try:
            Quota.objects.claim(edition, profile)
        except QuotaFull:
            return "full"
        return "counted"

    results = _in_threads(16, claim)
    assert sorted(results) == ["counted"] * 10 + ["full"] * 6
    cell.refresh_from_db()
    assert cell.completes == 10


@pytest.mark.django_db(transaction=True)
def test_respondents_finishing_together_on_postgresql_fill_the_quota_and_no_more(
    client_factory, time_machine
):
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's row locking")
    time_machine.move_to(JUNE, tick=False)
    edition = poll_edition()
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=4
    )
    clients = []
    for index in range(7):
        client = client_factory()
        arrive(client, pid=f"burst{index}")
        answer_pages(client, ALL_PAGES[:-1])
        clients.append(client)

    def finish(index):
        page = clients[index].post("/sondage/page/decision/", {**PAGES["decision"]})
        return page["Location"].split("statut=")[1].split("&")[0]

    outcomes = _in_threads(len(clients), finish)
    assert sorted(outcomes) == ["complet"] * 4 + ["quota"] * 3
    cell.refresh_from_db()
    assert cell.completes == 4
    assert Participation.objects.filter(outcome=Outcome.COMPLETE).count() == 4
    assert Participation.objects.filter(outcome=Outcome.QUOTA_FULL).count() == 3
    # No answer lost: every sitting kept its five pages.
    for participation in Participation.objects.all():
        assert len(participation.response.values_by_code()) == 19


def test_fieldwork_defaults_point_at_the_attention_row_of_the_questionnaire(edition):
    question = edition.questions.get(code=Fieldwork().attention_question)
    assert question.items.filter(code=Fieldwork().attention_row).exists()
    assert question.choices.filter(code=Fieldwork().attention_answer).exists()
    assert PROFILE["profil_age"] != "moins_18"


def test_a_page_lets_its_form_end_on_the_institutes_site_and_nowhere_else(client, edition):
    arrive(client)
    policy = client.get("/sondage/page/profil/")["Content-Security-Policy"]
    assert "form-action 'self' https://panel.example;" in policy + ";"
