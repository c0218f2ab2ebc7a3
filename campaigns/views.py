"""Public ends of a campaign: the invitation link and the one-click unsubscribe."""

from django.core import signing
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from campaigns.mail import INVITATION_SALT, UNSUBSCRIBE_SALT
from campaigns.models import Contact, Message, OptOut
from survey.collection import emails
from survey.collection.journey import Journey
from survey.collection.models import AccessRequest, CollectiviteTaken, Respondent, Response
from survey.collection.views import closed_page, no_referrer, set_resume_cookie


def _signed_pk(token, salt):
    """The number a signed link carries, or None for a forged or mangled link."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _respond_as(respondent, token):
    url = Journey.for_collectivites(respondent.response).first_incomplete().url()
    return set_resume_cookie(redirect(url), token)


@require_GET
@never_cache
@no_referrer
@ratelimit(key="ip", rate="30/m", block=True)
def invitation(request, token):
    """An invited contact opens the response of their collectivité, created if needed.

    A response someone else already started is shared through the usual access request:
    its respondents are asked; only a response that nobody can be asked about is opened
    to the contact straight away (the Observatoire imported that contact for it).
    """
    contact = (
        Contact.objects.select_related("edition", "collectivite")
        .filter(pk=_signed_pk(token, INVITATION_SALT))
        .first()
    )
    if contact is None:
        return render(request, "campaigns/invitation_not_found.html", status=404)
    edition = contact.edition
    if not edition.is_open():
        return closed_page(request, edition)
    details = {"email": contact.email, "name": contact.name, "role": contact.function}
    with transaction.atomic():
        response = Response.objects.filter(edition=edition, collectivite=contact.collectivite)
        response = response.first()
        if response is None:
            response = Response.objects.create(edition=edition)
            try:
                response.assign_structure(contact.collectivite)
            except CollectiviteTaken as taken:  # someone started it meanwhile
                response.delete()
                response = taken.existing
            else:
                respondent, resume_token = Respondent.create_for(response, **details)
                return _respond_as(respondent, resume_token)
    respondent = response.respondents.filter(email__iexact=contact.email).first()
    if respondent is not None:
        return _respond_as(respondent, respondent.new_token())
    askable = [r.email for r in response.respondents.exclude(email="")]
    if not askable:
        respondent, resume_token = Respondent.create_for(response, **details)
        return _respond_as(respondent, resume_token)
    with transaction.atomic():
        access, grant_token = AccessRequest.create_for(response, contact.email)
        url = request.build_absolute_uri(reverse("grant_access", args=[grant_token]))
        emails.send_access_request(askable, access, url)
    return render(request, "survey/access_requested.html", {"collectivite": contact.collectivite})


@csrf_exempt  # RFC 8058: the mail client posts without any cookie or form token
@require_http_methods(["GET", "POST"])
@never_cache
@no_referrer
@ratelimit(key="ip", rate="30/m", block=True)
def unsubscribe(request, token):
    """One click, no login: no more mail about this edition to this address.

    GET shows a button (a link opened by a mail scanner must not unsubscribe anyone); POST,
    from that button or from the mail client's List-Unsubscribe-Post, records the choice.
    """
    message = (
        Message.objects.select_related("edition")
        .filter(pk=_signed_pk(token, UNSUBSCRIBE_SALT), edition__isnull=False)
        .exclude(recipient="")
        .first()
    )
    if message is None:
        return render(request, "campaigns/unsubscribe_not_found.html", status=404)
    done = OptOut.objects.filter(edition=message.edition, email=message.recipient).exists()
    if request.method == "POST" and not done:
        OptOut.objects.get_or_create(
            edition=message.edition,
            email=message.recipient,
            defaults={"reason": OptOut.Reason.UNSUBSCRIBED},
        )
        done = True
    context = {"edition": message.edition, "done": done}
    return render(request, "campaigns/unsubscribe.html", context)
