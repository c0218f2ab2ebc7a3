"""The provider's webhook under abuse: concurrent bounces, unconfigured providers, deep
bodies, guessed passwords (issue 23, points 10 and 13)."""

import base64
import importlib
import json
import threading

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.models import Contact, OptOut

pytestmark = pytest.mark.django_db
SECRET = "fournisseur:secret-de-test"  # barometre/settings_test.py


def post(client, url, body, secret=SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def bounce(email="elu@vaulx.fr", number=1):
    return {"RecordType": "Bounce", "Type": "HardBounce", "Email": email, "ID": number,
            "BouncedAt": "2025-06-01T10:00:00Z"}  # fmt: skip


POSTMARK = "/fournisseur/postmark/tracking/"


def served_webhooks():
    """Every URL served under /fournisseur/."""
    (provider,) = [
        entry for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and str(entry.pattern) == "fournisseur/"
    ]  # fmt: skip
    routes = []
    for pattern in provider.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).lstrip("^").rstrip("$").replace("(_mime)?", "")
        routes.append(f"/fournisseur/{route}")
    return routes


# -- Point 10: one opt-out per address, whatever the concurrency ----------------------------


def test_the_database_refuses_a_second_opt_out_of_an_address_for_every_edition(small_survey):
    OptOut.objects.create(email="elu@vaulx.fr", edition=None, reason="bounced")
    with pytest.raises(IntegrityError), transaction.atomic():
        OptOut.objects.create(email="elu@vaulx.fr", edition=None, reason="complained")
    # An edition's own opt-out of the same address is another row.
    OptOut.objects.create(email="elu@vaulx.fr", edition=small_survey, reason="unsubscribed")
    assert OptOut.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_bounces_on_postgresql_leave_one_opt_out_and_no_500():
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's")
    from tests.factories import CollectiviteFactory, EditionFactory

    edition = EditionFactory(year=2025)
    Contact.objects.create(
        edition=edition, collectivite=CollectiviteFactory(), email="elu@vaulx.fr"
    )
    count = 20
    barrier = threading.Barrier(count)
    statuses = [None] * count

    def run(index):
        try:
            client = Client()
            barrier.wait()
            statuses[index] = post(client, POSTMARK, bounce(number=index)).status_code
        except Exception as error:  # reported by the assertion below
            statuses[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * count
    assert OptOut.objects.filter(email="elu@vaulx.fr", edition=None).count() == 1
    # And the next bounce of that address is read as usual.
    assert post(Client(), POSTMARK, bounce(number=99)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_the_duplicate_opt_outs_left_by_earlier_races():
    from django.db.migrations.executor import MigrationExecutor

    before = [("campaigns", "0002_observatoire_follows_campaigns")]
    after = [("campaigns", "0003_one_opt_out_per_address_for_every_edition")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("campaigns", "OptOut")
        for reason in ("bounced", "bounced", "complained"):
            old.objects.create(email="elu@vaulx.fr", edition=None, reason=reason)
        old.objects.create(email="autre@vaulx.fr", edition=None, reason="bounced")
        first = old.objects.filter(email="elu@vaulx.fr").order_by("pk").first().pk
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        # Then to the latest migrations, so that the tests after this one find today's schema.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = sorted(OptOut.objects.values_list("email", "pk"))
    assert [email for email, _ in rows] == ["autre@vaulx.fr", "elu@vaulx.fr"]
    assert dict(rows)["elu@vaulx.fr"] == first


# -- Point 13: no 500, unconfigured providers absent, guessing throttled -------------------


# Anymail warns that it no longer supports SendGrid and renamed SendinBlue: warnings in
# production, not failures.
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailDeprecationWarning")
def test_only_tracking_webhooks_are_served_and_none_answers_a_500(client, small_survey):
    routes = served_webhooks()
    assert POSTMARK in routes
    assert not [route for route in routes if "inbound" in route]
    for route in routes:
        for secret in (SECRET, "fournisseur:devine"):
            cache.clear()  # the failures' throttle is tested below
            page = post(client, route, {"RecordType": "Bounce"}, secret=secret)
            assert page.status_code < 500, (route, secret, page.status_code)


def test_an_unconfigured_provider_s_webhook_is_not_found(client, small_survey):
    # Mandrill and Resend need keys of their own, which this site does not have.
    assert post(client, "/fournisseur/mandrill/tracking/", []).status_code == 404
    assert post(client, "/fournisseur/resend/inbound/", {}).status_code == 404


def test_a_deeply_nested_body_is_refused_with_a_400(client, small_survey):
    deep = b"[" * 100_000 + b"]" * 100_000
    assert post(client, POSTMARK, deep).status_code == 400
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    assert post(client, POSTMARK, deep_object).status_code == 400


def test_wrong_webhook_passwords_are_throttled_and_the_right_one_waits_too(client, small_survey):
    statuses = [post(client, POSTMARK, bounce(), secret=f"fournisseur:essai{i}").status_code
                for i in range(50)]  # fmt: skip
    assert statuses[:10] == [400] * 10
    assert set(statuses[10:]) == {429}
    assert post(client, POSTMARK, bounce()).status_code == 429
    assert not OptOut.objects.exists()
    # Another address is not held back by those failures.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert post(other, POSTMARK, bounce()).status_code == 200
    assert OptOut.objects.filter(email="elu@vaulx.fr").exists()


def test_the_webhook_module_serves_the_tracking_views_it_wraps():
    webhooks = importlib.import_module("outbox.webhooks")
    patterns, app_name = webhooks.urlpatterns()
    assert app_name == "anymail"
    assert reverse("anymail:postmark_tracking_webhook") == POSTMARK
    assert all("tracking" in pattern.name for pattern in patterns)
