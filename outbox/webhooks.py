"""The provider's tracking webhooks (django-anymail), served so that nothing answers a 500.

Anymail parses each provider's JSON trusting its shape: a body of the wrong shape (`[]`
where an object is expected) raised a TypeError, and a deeply nested body a RecursionError.
A provider whose settings are missing (Mandrill's key, Resend's…) raised a configuration
error on every request: such a provider's webhook does not exist here (404). Failed
authentications are counted per client address; past the limit the webhook answers 429
without checking, so the secret cannot be guessed by trying.
"""

import logging
from functools import wraps

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

AUTH_FAILURES = {"group": "campaigns.webhook-auth", "key": "ip", "rate": "10/h"}


def _failures(request, increment):
    return get_usage(request, increment=increment, **AUTH_FAILURES)


def tolerant(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        usage = _failures(request, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            return HttpResponse(
                "Trop d'échecs d'authentification : réessayez plus tard.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        try:
            return view(request, *args, **kwargs)
        except AnymailWebhookValidationFailure:
            _failures(request, increment=True)
            raise  # Django answers 400 to a SuspiciousOperation and logs it as such
        except AnymailConfigurationError:
            raise Http404("Prestataire non configuré.") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError):
            logger.warning("Unreadable provider webhook on %s", request.path, exc_info=True)
            return HttpResponseBadRequest("Données du prestataire illisibles.")

    return wrapper


def urlpatterns():
    """The tracking webhooks only: inbound mail is not read here."""
    from anymail import urls

    patterns = [
        URLPattern(pattern.pattern, tolerant(pattern.callback), pattern.default_args, pattern.name)
        for pattern in urls.urlpatterns
        if "tracking" in (pattern.name or "")
    ]
    return patterns, urls.app_name
