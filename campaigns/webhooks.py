"""The provider's webhooks (django-anymail), served so that a malformed body is a 400.

Anymail parses each provider's JSON trusting its shape: a body of the wrong shape (`[]`
where an object is expected) raised a TypeError, so a 500, in the fuzzing tests.
"""

import logging
from functools import wraps

from django.http import HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)


def tolerant(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            logger.warning("Unreadable provider webhook on %s", request.path, exc_info=True)
            return HttpResponseBadRequest("Données du prestataire illisibles.")

    return wrapper


def urlpatterns():
    from anymail import urls

    patterns = [
        URLPattern(pattern.pattern, tolerant(pattern.callback), pattern.default_args, pattern.name)
        for pattern in urls.urlpatterns
    ]
    return patterns, urls.app_name
