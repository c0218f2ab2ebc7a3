"""What the respondents' pages share, whichever app serves them (the collection's journey, the
citizens' poll, the campaigns' enrolment links): the resume cookie, the edition's dates, the
closed page and the header of a page whose address holds a secret."""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from survey.collection.models import ResumeToken
from survey.links import absolute_url
from survey.questionnaire.models import format_datetime
from survey.typography import typeset

RESUME_COOKIE = "barometre_reprise"
RESUME_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def resume_url(request, token):
    return absolute_url(reverse("resume", args=[token]))


def set_resume_cookie(response, token):
    response.set_cookie(
        RESUME_COOKIE,
        token,
        max_age=RESUME_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def current_respondent(request):
    return ResumeToken.find_respondent(request.COOKIES.get(RESUME_COOKIE))


def edition_context(edition, now=None):
    now = now or timezone.now()
    return {
        "edition": edition,
        "is_open": edition.is_open(now),
        "not_yet_open": edition.has_not_opened(now),
        "closed": edition.has_closed(now),
        "days_left": edition.days_left(now),
        "countdown": edition.is_open(now) and edition.days_left(now) < 7,
    }


def closed_page(request, edition, status=403, form=None, section=None, sections=None):
    """The edition is not open: say so, with the dates, and show back what was typed."""
    context = edition_context(edition) | {
        "form": form,
        "section": section,
        "sections": sections or [],
        "read_only": True,
    }
    return render(request, "survey/closed.html", context, status=status)


def secret_address(view):
    """The page's address holds a secret: browsers must not send it to any other site.

    « same-origin » rather than « no-referrer »: a form posted under « no-referrer » carries
    `Origin: null`, which Django's CSRF check refuses; the site's own requests that carry the
    address (static files) reach only its logs, which mask it (barometre.logging).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        page = view(request, *args, **kwargs)
        page["Referrer-Policy"] = "same-origin"
        return page

    return wrapper


def closed_message(edition):
    return typeset(
        f"Le questionnaire est clos depuis le {format_datetime(edition.closes_at)} : "
        "vos dernières modifications n'ont pas été enregistrées."
    )
