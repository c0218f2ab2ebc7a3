"""The poll's panel against abuse: minors screened out on every path, signed panel links,
a rate-limited entry, and what excluding a sitting does to the quotas (issue 23, points 3
and 4)."""

import datetime
import hashlib
import hmac
import threading

import pytest
from django.db import connection

from poll.models import Dimension, Outcome, Participation, Quota, QuotaFull
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


# -- Point 4: signed links, a rate-limited entry, exclusions free their place --------------

SECRET = "secret-de-l-institut-7f3a"


def signed(pid, secret=SECRET):
    """The institute's signature, computed here independently: HMAC-SHA256, hex."""
    return hmac.new(secret.encode(), pid.encode(), hashlib.sha256).hexdigest()


def test_with_a_shared_secret_only_links_signed_by_the_institute_start_a_sitting(
    client_factory, edition
):
    edition.fieldwork.link_secret = SECRET
    edition.fieldwork.save()
    refused = [
        arrive(client_factory(), pid="P1"),
        arrive(client_factory(), pid="P1", sig=signed("P2")),
        arrive(client_factory(), pid="P1", sig=signed("P1", secret="un autre secret")),
        arrive(client_factory(), pid="P1", sig=signed("P1")[:-1]),
        arrive(client_factory(), pid="P1", sig="é" * 64),
    ]
    for page in refused:
        assert page.status_code == 403
        assert "Lien non reconnu" in page.content.decode()
        assert "signature de l’institut" in page.content.decode()
    assert not Participation.objects.exists()
    page = arrive(client_factory(), pid="P1", sig=signed("P1"))
    assert page.status_code == 302 and page["Location"] == "/sondage/page/profil/"
    assert arrive(client_factory(), pid="P3", sig=signed("P3").upper()).status_code == 302
    assert sorted(Participation.objects.values_list("panel_id", flat=True)) == ["P1", "P3"]


def test_without_a_shared_secret_links_need_no_signature(client, edition):
    assert arrive(client, pid="P9").status_code == 302


def test_the_panel_entry_is_rate_limited_per_address(client_factory, edition):
    statuses = [arrive(client_factory(), pid=f"R{index}").status_code for index in range(61)]
    assert statuses[:60] == [302] * 60
    assert statuses[60] == 429
    assert Participation.objects.count() == 60


def complete_one(client_factory, pid, clock=None):
    client = client_factory()
    arrive(client, pid=pid)
    return answer_pages(client, ALL_PAGES)["Location"]


def test_excluding_a_complete_frees_its_place_and_reintegrating_it_takes_one_back(
    client_factory, edition
):
    from django.contrib.auth.models import User

    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=1
    )
    region = Quota.objects.create(
        edition=edition, dimension=Dimension.REGION, region="bretagne", target=10
    )
    assert "statut=complet" in complete_one(client_factory, "first")
    assert "statut=quota" in complete_one(client_factory, "second")
    first = Participation.objects.get(panel_id="first")
    assert set(first.quotas.all()) == {cell, region}
    assert first.exclude(User.objects.create_user("equipe")) is True
    cell.refresh_from_db()
    region.refresh_from_db()
    assert (cell.completes, region.completes) == (0, 0)
    assert "statut=complet" in complete_one(client_factory, "third")
    # The place is taken again: reintegrating the first would go beyond the target.
    with pytest.raises(QuotaFull):
        first.include()
    first.refresh_from_db()
    assert first.excluded
    cell.refresh_from_db()
    assert cell.completes == 1 == Participation.objects.counted().count()


def test_staff_reintegrating_into_a_full_cell_are_told_and_nothing_changes(
    client, client_factory, edition
):
    from django.contrib.auth.models import User

    Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=1
    )
    complete_one(client_factory, "first")
    first = Participation.objects.get()
    client.force_login(User.objects.create_superuser("chef"))
    changelist = "/admin/poll/participation/"
    client.post(changelist, {"action": "exclude_from_results", "_selected_action": [first.pk]})
    complete_one(client_factory, "second")
    page = client.post(
        changelist,
        {"action": "include_in_results", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "leur quota est atteint depuis leur exclusion" in page.content.decode()
    first.refresh_from_db()
    assert first.excluded
    assert Quota.objects.get().completes == 1


def test_the_shared_secret_is_shown_only_to_who_may_change_the_fieldwork(client, edition):
    from django.contrib.auth.models import Group, User

    edition.fieldwork.link_secret = SECRET
    edition.fieldwork.save()
    member = User.objects.create_user("suivi", is_staff=True)
    member.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(member)
    page = client.get(f"/admin/poll/fieldwork/{edition.fieldwork.pk}/change/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "oui (secret partagé renseigné)" in page.content.decode()
    client.force_login(User.objects.create_superuser("chef"))
    page = client.get(f"/admin/poll/fieldwork/{edition.fieldwork.pk}/change/")
    assert SECRET in page.content.decode()
    listing = client.get("/admin/poll/fieldwork/").content.decode()
    assert "oui (secret partagé renseigné)" in listing and SECRET not in listing


@pytest.mark.django_db(transaction=True)
def test_exclusions_racing_completions_on_postgresql_keep_each_cell_equal_to_its_counted_completes(
    time_machine,
):
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's row locking")
    from django.contrib.auth.models import User

    time_machine.move_to(JUNE, tick=False)
    edition = poll_edition()
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=5
    )
    values = {"profil_age": "age_25_34", "profil_sexe": "femme", "profil_region": "bretagne"}
    done = []
    for index in range(5):
        participation, _ = Participation.start(edition, f"done{index}")
        assert participation.complete(values) == Outcome.COMPLETE
        done.append(participation)
    waiting = [Participation.start(edition, f"new{index}")[0] for index in range(8)]
    staff = User.objects.create_user("equipe")
    work = [lambda p=p: p.exclude(staff) for p in done[:4]]
    work += [lambda p=p: p.complete(values) for p in waiting]
    barrier = threading.Barrier(len(work))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cell.refresh_from_db()
    counted = Participation.objects.counted().filter(quotas=cell).count()
    assert cell.completes == counted <= cell.target
    assert Participation.objects.filter(outcome=Outcome.COMPLETE, excluded=True).count() == 4
    # Newcomers took places given back (those who came before a release found the cell
    # full): one kept + the newcomers counted.
    outcomes = [Participation.objects.get(pk=p.pk).outcome for p in waiting]
    assert set(outcomes) <= {Outcome.COMPLETE, Outcome.QUOTA_FULL}
    assert counted == 1 + outcomes.count(Outcome.COMPLETE)


@pytest.mark.django_db(transaction=True)
def test_the_migration_records_earlier_completes_cells_and_frees_those_already_excluded(
    time_machine,
):
    from django.db.migrations.executor import MigrationExecutor

    from survey.collection.models import Response
    from tests.sample import answer

    time_machine.move_to(JUNE, tick=False)
    edition = poll_edition()
    cell = Quota.objects.create(
        edition=edition, dimension=Dimension.AGE_SEX, age="age_25_34", sex="femme", target=5
    )
    other = Quota.objects.create(
        edition=edition, dimension=Dimension.REGION, region="corse", target=5
    )
    before = [("poll", "0004_observatoire_follows_the_poll")]
    after = [("poll", "0005_signed_links_and_the_cells_a_complete_counts_in")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("poll", "Participation")
        for index, excluded in enumerate([False, True]):
            response = Response.objects.create(edition=edition)
            for code, value in [("profil_age", "age_25_34"), ("profil_sexe", "femme"),
                                ("profil_region", "bretagne")]:  # fmt: skip
                answer(response, code, value)
            old.objects.create(
                edition_id=edition.pk, response_id=response.pk, panel_id=f"old{index}",
                token_hash=f"{index}" * 64, outcome="complete", ended_at=JUNE,
                excluded=excluded,
            )  # fmt: skip
        Quota.objects.filter(pk=cell.pk).update(completes=2)  # both counted, as before
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        # Then to the latest migrations, so that the tests after this one find today's schema.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    kept, excluded = Participation.objects.order_by("panel_id")
    assert list(kept.quotas.all()) == [cell] == list(excluded.quotas.all())
    cell.refresh_from_db()
    other.refresh_from_db()
    assert (cell.completes, other.completes) == (1, 0)
