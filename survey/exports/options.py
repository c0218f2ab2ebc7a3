"""What an export contains: options, statuses, the responses it covers."""

from dataclasses import dataclass, replace

from survey.collection.models import Response

STATUSES = {
    "submitted": "Réponses envoyées",
    "draft": "Brouillons",
    "all": "Toutes les réponses",
}


@dataclass(frozen=True)
class ExportOptions:
    """What an export contains and how it is written."""

    status: str = "submitted"
    labels: bool = False
    delimiter: str = ","
    bom: bool = False
    free_text: bool = False  # open data only: staff exports always have the free text
    contacts: bool = False
    open_data: bool = False

    def for_open_data(self):
        """Open data: codes, no personal data, no contact details, comma-separated UTF-8."""
        return replace(self, labels=False, delimiter=",", bom=False, contacts=False, open_data=True)


def select_responses(edition, options, responses=None):
    """The responses of `edition` an export covers, filtered by status."""
    responses = Response.objects.all() if responses is None else responses
    responses = responses.filter(edition=edition)
    if options.status == "submitted":
        return responses.submitted()
    if options.status == "draft":
        return responses.drafts()
    return responses
