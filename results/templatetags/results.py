from django import template

from results import presentation
from results.models import Computation, Publication

register = template.Library()


@register.inclusion_tag("results/includes/landing_link.html")
def results_links(edition):
    """On the landing page of a closed edition: links to its results once published."""
    published = (
        edition is not None
        and edition.has_closed()
        and Publication.objects.filter(edition=edition).exists()
        and Computation.objects.current(edition) is not None
    )
    return {"edition": edition, "published": published}


@register.simple_tag
def publication_rules():
    """The publication rule in sentences, with the thresholds of the code (never restated)."""
    return presentation.publication_rules()
