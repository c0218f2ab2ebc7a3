"""The « Observatoire » staff group: each app declares its share once (AppConfig), the group
gets exactly their union after every migrate or flush, and the pages check the same names."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from barometre.group_permissions import OBSERVATOIRE, declared_permissions
from campaigns import permissions as campaigns_permissions
from results import permissions as results_permissions
from survey import permissions as survey_permissions


def group_permissions():
    group = Group.objects.get(name=OBSERVATOIRE)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.mark.django_db
def test_after_migrate_the_group_has_exactly_the_permissions_the_apps_declare():
    declared = declared_permissions()
    apps = {name.split(".")[0] for name in declared}
    assert apps == {"survey", "results", "campaigns", "outbox", "poll"}
    assert group_permissions() == declared


def test_the_group_is_declared_to_read_and_export_but_to_change_nothing_nor_see_contacts():
    codenames = {name.split(".")[1] for name in declared_permissions()}
    assert not [c for c in codenames if c.startswith(("add_", "change_", "delete_"))]
    assert survey_permissions.EXPORT_RESPONSES in declared_permissions()
    assert survey_permissions.VIEW_CONTACT_DETAILS not in declared_permissions()
    assert campaigns_permissions.VIEW_CONTACT not in declared_permissions()


@pytest.mark.django_db
def test_a_permission_added_to_the_group_by_hand_is_taken_away_at_the_next_migrate():
    group = Group.objects.get(name=OBSERVATOIRE)
    group.permissions.add(permission(survey_permissions.CHANGE_RESPONSE))
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert group_permissions() == declared_permissions()


@pytest.mark.django_db
def test_a_permission_taken_out_of_a_declaration_is_taken_from_the_group(monkeypatch, client):
    results = apps.get_app_config("results")
    kept = [p for p in results.observatoire_permissions if p != results_permissions.VIEW_RESULTS]
    monkeypatch.setattr(results, "observatoire_permissions", kept)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert results_permissions.VIEW_RESULTS not in group_permissions()
    assert results_permissions.VIEW_COVERAGE in group_permissions()
    member = User.objects.create_user("analyste", is_staff=True)
    member.groups.add(Group.objects.get(name=OBSERVATOIRE))
    client.force_login(member)
    assert client.get(reverse("admin:results_index")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_group_with_its_declared_permissions():
    # A transactional test ends with a flush: the next tests still find the group.
    call_command("flush", interactive=False, verbosity=0)
    assert group_permissions() == declared_permissions()


def protected_pages(edition):
    return [
        reverse("admin:results_coverage"),
        reverse("admin:results_index"),
        reverse("admin:results_trends", args=[edition.year]),
        reverse("admin:survey_edition_preview", args=[edition.pk, "profil"]),
        reverse("admin:poll_crossing", args=[edition.year]),
    ]


@pytest.mark.django_db
def test_staff_without_the_permission_get_403_on_each_protected_page(client, small_survey):
    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    for url in protected_pages(small_survey):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_the_observatoire_group_opens_each_protected_page(client, small_survey):
    member = User.objects.create_user("analyste", is_staff=True)
    member.groups.add(Group.objects.get(name=OBSERVATOIRE))
    client.force_login(member)
    for url in protected_pages(small_survey):
        assert client.get(url).status_code == 200, url
