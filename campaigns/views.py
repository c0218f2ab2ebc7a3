"""Public ends of a campaign: the invitation link and the one-click unsubscribe."""

from django.core import signing
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from campaigns.mail import INVITATION_SALT, INVITATION_VALID_FOR, UNSUBSCRIBE_SALT
from campaigns.models import Contact, Message, OptOut
from survey.collection import emails
from survey.collection.journey import Journey
from survey.collection.models import AccessRequest, CollectiviteTaken, Respondent, Response
from survey.collection.pages import (
    closed_page,
    current_respondent,
    secret_address,
    set_resume_cookie,
)


def _signed_pk(token, salt, max_age=None):
    """The number a signed link carries, or None for a forged or mangled link; raises
    SignatureExpired for a genuine link older than `max_age`."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _respond_as(request, respondent):
    """Open the respondent's response in this browser. A browser that already holds one of
    their links keeps it: clicking again does not make another."""
    url = Journey.for_collectivites(respondent.response).first_incomplete().url()
    current = current_respondent(request)
    if current is not None and current.pk == respondent.pk:
        return redirect(url)
    return set_resume_cookie(redirect(url), respondent.new_token())


@require_http_methods(["GET", "POST"])
@never_cache
@secret_address
@ratelimit(key="ip", rate="30/m", block=True)
def invitation(request, token):
    """An invited contact opens the response of their collectivité, created if needed.

    GET only shows the invitation (a mail scanner that fetches the link changes nothing);
    the contact's click on « Commencer » (POST) opens the response. A response someone else
    already started is shared through the usual access request: its respondents are asked;
    only a response that nobody can be asked about is opened to the contact straight away
    (the Observatoire imported that contact for it). A link works for INVITATION_VALID_FOR
    after its email was written, and never after the close.
    """
    try:
        pk = _signed_pk(token, INVITATION_SALT, max_age=INVITATION_VALID_FOR)
    except signing.SignatureExpired:
        return render(request, "campaigns/invitation_expired.html", status=410)
    contact = Contact.objects.select_related("edition", "collectivite").filter(pk=pk).first()
    if contact is None:
        return render(request, "campaigns/invitation_not_found.html", status=404)
    edition = contact.edition
    if not edition.is_open():
        return closed_page(request, edition)
    if request.method == "GET":
        context = {"contact": contact, "edition": edition, "collectivite": contact.collectivite}
        return render(request, "campaigns/invitation.html", context)
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
                respondent = Respondent.objects.create(response=response, **details)
                return _respond_as(request, respondent)
    respondent = response.respondents.filter(email__iexact=contact.email).first()
    if respondent is not None:
        return _respond_as(request, respondent)
    askable = [r.email for r in response.respondents.exclude(email="")]
    if not askable:
        respondent = Respondent.objects.create(response=response, **details)
        return _respond_as(request, respondent)
    with transaction.atomic():
        access, _ = AccessRequest.create_for(response, contact.email)
        emails.send_access_request(askable, access)
    return render(request, "survey/access_requested.html", {"collectivite": contact.collectivite})


@csrf_exempt  # RFC 8058: the mail client posts without any cookie or form token
@require_http_methods(["GET", "POST"])
@never_cache
@secret_address
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
