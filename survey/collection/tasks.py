"""Work done outside the request (django.tasks): see TASKS in the settings."""

from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from survey.collection import emails
from survey.collection.models import Respondent


@task()
def send_resume_links(email, site_url):
    """Email fresh resume links for every open draft of `email`; nothing when there is none.

    Run in the background so that « Reprendre mes réponses » answers in the same time
    whether or not the address has a draft.
    """
    respondents = Respondent.objects.filter(
        email__iexact=email, response__edition__closes_at__gt=timezone.now()
    ).select_related("response__edition")
    links = [(r.response, site_url + reverse("resume", args=[r.new_token()])) for r in respondents]
    if links:
        emails.send_resume_links(email, links)
    return len(links)
