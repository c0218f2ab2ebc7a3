from django import template

from results.models import Computation, Publication
from results.presentation import publication_rule

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


@register.inclusion_tag("results/includes/publication_rule.html")
def publication_rule_list():
    """The publication rule, as every page that states it says it."""
    return {"rules": publication_rule()}
