"""The poll's journey: its pages only, with no collectivité to choose, no review, no receipt."""

from django.urls import reverse

from survey.collection.journey import Journey, SectionStep

SURVEY = "sondage-citoyens"


class PollPage(SectionStep):
    def url(self):
        return reverse("poll:page", args=[self.section.slug])


def poll_journey(response, sections=None, values=None):
    return Journey(response, (PollPage,), sections=sections, values=values)
