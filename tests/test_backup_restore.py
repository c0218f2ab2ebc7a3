"""scripts/backup.sh and scripts/restore.sh, exercised on PostgreSQL (as in CI).

The data is created through the respondent's pages, dumped with pg_dump from the test database,
restored into a fresh database and compared: row counts of every table, and every answer.
"""

import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from psycopg import sql

from survey.collection.models import Response

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="pg_dump and pg_restore need PostgreSQL (DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
]

ANSWERS = """
    SELECT r.public_id, r.status, q.code, a.value::text, a.version
    FROM survey_answer a
    JOIN survey_response r ON r.id = a.response_id
    JOIN survey_question q ON q.id = a.question_id
    ORDER BY 1, 3
"""


def connection_params(name):
    params = connection.settings_dict
    return {
        "dbname": name,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
        "host": params["HOST"] or None,
        "port": params["PORT"] or None,
    }


def database_url(name):
    params = connection.settings_dict
    auth = quote(params["USER"] or "", safe="")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"], safe="")
    host = quote(params["HOST"] or "localhost", safe="")
    return f"postgres://{auth}@{host}:{params['PORT'] or 5432}/{name}"


def run_script(script, *args, database):
    return subprocess.run(
        [ROOT / "scripts" / script, *args],
        env={**os.environ, "DATABASE_URL": database_url(database)},
        capture_output=True,
        text=True,
        check=False,
    )


def table_counts(conn):
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return {
        name: conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        ).fetchone()[0]
        for (name,) in tables
    }


@pytest.fixture
def fresh_database():
    """An empty database next to the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(**connection_params("postgres"), autocommit=True) as admin:
        admin.execute(statement)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(**connection_params("postgres"), autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture
def collected(small_survey, client_factory):
    """Three responses saved through the pages: a sent one, a draft, one just started."""
    sent, draft, started = client_factory(), client_factory(), client_factory()
    for browser in (sent, draft, started):
        assert browser.post(reverse("start")).status_code == 302
    pages = {
        "profil": {"q-profil_fonction": "autre", "q-profil_fonction-other": "Chargée « data »",
                   "q-profil_agents": "1 200"},
        "usages": {"q-usage_ia": "oui", "q-usage_domaines": ["eau", "mobilite"],
                   "q-usage_description": "Chatbot d'accueil 🤖\r\nen test ; \"guillemets\""},
    }  # fmt: skip
    structures = {sent: "216902641", draft: "216902567"}  # from small_survey
    for slug, data in pages.items():
        for browser in (sent, draft):
            if slug == "profil":
                data = {**data, "collectivite": structures[browser]}
            page = browser.post(reverse("section", args=[slug]), {**data, "action": "continue"})
            assert page.status_code == 302
    assert sent.post(reverse("review")).status_code == 302
    assert Response.objects.submitted().count() == 1
    return small_survey


def test_a_dump_restored_into_a_fresh_database_has_the_same_rows_and_answers(
    collected, fresh_database, tmp_path
):
    source = connection.settings_dict["NAME"]
    backup = run_script("backup.sh", str(tmp_path), database=source)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.is_file() and dump.name.startswith("barometre-") and dump.suffix == ".dump"
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # it holds contact data

    restore = run_script("restore.sh", str(dump), database=fresh_database)
    assert restore.returncode == 0, restore.stderr

    with (
        psycopg.connect(**connection_params(source)) as original,
        psycopg.connect(**connection_params(fresh_database)) as restored,
    ):
        counts = table_counts(original)
        assert counts["survey_answer"] == 10 and counts["survey_response"] == 3
        assert table_counts(restored) == counts
        answers = original.execute(ANSWERS).fetchall()
        assert restored.execute(ANSWERS).fetchall() == answers
        assert any("Chargée « data »" in row[3] for row in answers)


def test_restore_refuses_a_database_that_already_has_tables(collected, tmp_path):
    source = connection.settings_dict["NAME"]
    dump = run_script("backup.sh", str(tmp_path), database=source).stdout.strip()
    before = Response.objects.count()

    restore = run_script("restore.sh", dump, database=source)

    assert restore.returncode == 3
    assert "already has" in restore.stderr
    assert Response.objects.count() == before


def test_restore_with_replace_brings_back_the_dumped_rows(collected, fresh_database, tmp_path):
    source = connection.settings_dict["NAME"]
    dump = run_script("backup.sh", str(tmp_path), database=source).stdout.strip()
    assert run_script("restore.sh", dump, database=fresh_database).returncode == 0
    with psycopg.connect(**connection_params(fresh_database), autocommit=True) as restored:
        restored.execute("DELETE FROM survey_answer")

    replace = run_script("restore.sh", "--replace", dump, database=fresh_database)

    assert replace.returncode == 0, replace.stderr
    with psycopg.connect(**connection_params(fresh_database)) as restored:
        assert restored.execute("SELECT count(*) FROM survey_answer").fetchone()[0] == 10
