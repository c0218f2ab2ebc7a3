from django import template

from usecases.models import Catalogue

register = template.Library()


@register.inclusion_tag("usecases/includes/catalogue_link.html")
def catalogue_link(edition):
    """On the landing page of a closed edition: a link to its catalogue of use cases."""
    catalogue = Catalogue.objects.filter(edition=edition).first() if edition else None
    is_open = edition is not None and (
        edition.has_closed() or (catalogue is not None and catalogue.is_open())
    )
    return {"edition": edition, "is_open": is_open}
