"""What an export contains: options, statuses, the responses it covers."""

from dataclasses import dataclass, replace
from operator import methodcaller

from survey.collection.models import Response


@dataclass(frozen=True)
class Status:
    """Which responses an export covers: its choice, its file name suffix, its description
    in the open-data package and how it selects them."""

    key: str
    label: str
    file_suffix: str
    description: str
    select: methodcaller


STATUSES = {
    status.key: status
    for status in [
        Status(
            "submitted",
            "Réponses envoyées",
            "envoyees",
            "les réponses envoyées",
            methodcaller("submitted"),
        ),
        Status(
            "draft",
            "Brouillons",
            "brouillons",
            "les brouillons (réponses non envoyées)",
            methodcaller("drafts"),
        ),
        Status(
            "all",
            "Toutes les réponses",
            "toutes",
            "toutes les réponses, envoyées ou non (voir la colonne statut)",
            methodcaller("all"),
        ),
    ]
}
DEFAULT_STATUS = "submitted"


def status_choices():
    return [(status.key, status.label) for status in STATUSES.values()]


@dataclass(frozen=True)
class ExportOptions:
    """What an export contains and how it is written."""

    status: str = DEFAULT_STATUS
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
    return STATUSES[options.status].select(responses.filter(edition=edition))
