"""The respondent's journey driven through the test client."""

from django.urls import reverse

from survey.collection.models import Response


def start(client, email=""):
    page = client.post(reverse("start"), {"email": email})
    assert page.status_code == 302
    return Response.objects.latest("created_at")


def answers(response):
    return {a.question.code: a.value for a in response.answers.select_related("question")}


VILLEURBANNE = "216902641"


def save(client, slug, data, action="continue"):
    if slug == "profil":
        data = {"collectivite": VILLEURBANNE, **data}
    return client.post(reverse("section", args=[slug]), {**data, "action": action})
