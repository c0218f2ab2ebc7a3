"""The site's public address: the one source of every absolute link it writes.

Emails, the resume links shown on screen and the staff's enrolment links all start with
SITE_URL (`make run` sets it from PORT), never with the Host a request happened to carry.
"""

from django.conf import settings


def site_url():
    return settings.SITE_URL.rstrip("/")


def absolute_url(path):
    """`path` (from `reverse`) as a full address on the public site."""
    return site_url() + path
