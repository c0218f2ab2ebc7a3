"""Count the database queries of saving each page of the 2025 questionnaire.

    DJANGO_DEBUG=1 [DATABASE_URL=postgres://…] .venv/bin/python bench/save_queries.py

Needs a migrated database with the questionnaire loaded (`make load`) and the edition open
(`manage.py set_edition_dates`). It creates one draft response and deletes it afterwards.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from survey.collection.models import Response  # noqa: E402
from survey.enums import QuestionKind  # noqa: E402
from survey.questionnaire.models import BAROMETER_SURVEY, Edition  # noqa: E402


def plausible_post(section):
    data = {"action": "later"}
    for question in section.asked:
        name = f"q-{question.code}"
        choices = [c for c in question.active_choices if not c.is_other and not c.is_exclusive]
        if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE):
            data[name] = choices[0].code
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            data[name] = [c.code for c in choices[: question.max_choices or 2]]
        elif question.kind == QuestionKind.MATRIX:
            for item in question.active_items:
                data[f"{name}-{item.code}"] = choices[0].code
        elif question.kind == QuestionKind.YES_NO:
            data[name] = "oui"
        elif question.kind in (QuestionKind.INTEGER, QuestionKind.DECIMAL):
            data[name] = "12"
        else:
            data[name] = "Texte de test"
    return data


def main():
    edition = Edition.objects.current(BAROMETER_SURVEY)
    client = Client(HTTP_HOST="127.0.0.1")
    client.post("/commencer/")
    response = Response.objects.latest("created_at")
    print(f"{'page':<16}{'questions':>10}{'queries':>10}")
    try:
        for section in edition.questionnaire():
            data = plausible_post(section)
            with CaptureQueriesContext(connection) as queries:
                page = client.post(f"/questionnaire/{section.slug}/", data)
            assert page.status_code == 302, (section.slug, page.status_code)
            print(f"{section.slug:<16}{len(section.asked):>10}{len(queries):>10}")
    finally:
        response.delete()


if __name__ == "__main__":
    main()
