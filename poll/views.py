"""Panel fieldwork: the arrival from the institute's link, the pages, the return.

One sitting: the browser holds the sitting's token in a cookie (so a reload loses nothing and
autosave keeps every answer), and there is no resume link and no email. The panel id only
serves to send the respondent back to the institute.
"""

from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from poll import crossing
from poll.journey import SURVEY, poll_journey
from poll.models import PANEL_ID, Outcome, Participation, Quota
from poll.profile import PROFILE_SECTION, is_screened_out, profile_of
from survey.collection.forms import SectionForm
from survey.collection.pages import closed_message, edition_context
from survey.questionnaire.models import Edition, EditionClosed

COOKIE = "sondage_participation"
COOKIE_MAX_AGE = 2 * 24 * 3600  # one sitting: long enough for a pause, no longer


def message(request, title, text, status, edition=None):
    context = {"title": title, "text": text, "edition": edition}
    page = render(request, "poll/message.html", context, status=status)
    add_never_cache_headers(page)
    return page


def send_back(participation):
    """To the institute's URL for the sitting's outcome, with the panel id. The sitting is
    over: the browser forgets the copies of typed answers its pages kept, and its cache (a
    panel member may sit at a shared computer, and leaves for the institute's site). The
    cookie stays: it only sends the browser back to the institute again."""
    fieldwork = participation.edition.fieldwork
    page = redirect(fieldwork.outcome_url(participation.outcome, participation.panel_id))
    page["Clear-Site-Data"] = '"cache", "storage"'
    return page


def with_participation(view):
    """Give the view the browser's sitting; a sitting that is over goes back to the panel."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        participation = Participation.find(request.COOKIES.get(COOKIE))
        if participation is None:
            return message(
                request,
                "Aucun questionnaire en cours",
                "Pour répondre au sondage, ouvrez le lien que l’institut vous a envoyé.",
                status=400,
            )
        if participation.is_over:
            return send_back(participation)
        request.participation = participation
        page = view(request, *args, **kwargs)
        add_never_cache_headers(page)
        return page

    return wrapper


@require_GET
@never_cache
@ratelimit(key="ip", rate="60/h", block=True)
def arrive(request):
    """The panel's link: `/sondage/?pid=<the respondent's id in the panel>`, with
    `&sig=<its signature>` when the fieldwork has a shared secret (Fieldwork.accepts)."""
    edition = Edition.objects.current(SURVEY)
    if edition is None or not hasattr(edition, "fieldwork"):
        return message(
            request, "Aucun sondage en cours", "Aucun sondage n’est en cours.", status=404
        )
    mine = Participation.find(request.COOKIES.get(COOKIE))
    if mine is not None and mine.edition_id == edition.pk:
        if mine.is_over:
            return send_back(mine)
        return redirect(poll_journey(mine.response).first_incomplete().url())
    if not edition.is_open():
        return render(request, "poll/closed.html", edition_context(edition), status=403)
    panel_id = request.GET.get("pid", "")
    if not PANEL_ID.fullmatch(panel_id):
        return message(
            request,
            "Lien incomplet",
            "Ce lien ne porte pas d’identifiant de panel valable. Ouvrez le lien exactement tel "
            "que l’institut vous l’a envoyé.",
            status=400,
            edition=edition,
        )
    if not edition.fieldwork.accepts(panel_id, request.GET.get("sig")):
        return message(
            request,
            "Lien non reconnu",
            "Ce lien ne porte pas la signature de l’institut : il a pu être modifié ou "
            "recopié en partie. Ouvrez le lien exactement tel que l’institut vous l’a envoyé.",
            status=403,
            edition=edition,
        )
    used = Participation.objects.filter(edition=edition, panel_id=panel_id).first()
    if used is not None:
        if used.is_over:
            return send_back(used)
        return message(
            request,
            "Questionnaire déjà commencé",
            "Ce lien a déjà été ouvert dans un autre navigateur. Le sondage se remplit en une "
            "seule fois, dans le navigateur où il a été commencé.",
            status=409,
            edition=edition,
        )
    participation, token = Participation.start(edition, panel_id)
    first = poll_journey(participation.response).pages[0]
    page = redirect(first.url())
    page.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return page


def _find_step(journey, slug):
    return next((step for step in journey.pages if step.section.slug == slug), None)


def _page(request, journey, step, form, status=200):
    response = journey.response
    context = edition_context(response.edition) | {
        "response": response,
        "section": step.section,
        "step": journey.position(step),
        "steps": journey.count,
        "previous": journey.previous(step),
        "form": form,
        "blocks": form.blocks(),
        "version": response.version,
        "shown": form.shown(),
    }
    page = render(request, "poll/page.html", context, status=status)
    # The last page's form ends with a redirect to the institute: a browser applies the
    # page's form-action to that redirect, so the institute's addresses are allowed there.
    fieldwork = response.edition.fieldwork
    page._csp_config = settings.SECURE_CSP | {
        "form-action": [*settings.SECURE_CSP.get("form-action", [CSP.SELF]), *fieldwork.origins()]
    }
    return page


@require_http_methods(["GET", "POST"])
@with_participation
def page(request, slug):
    participation = request.participation
    response = participation.response
    edition = response.edition
    sections = edition.questionnaire()
    journey = poll_journey(response, sections=sections, values=response.values_by_code())
    step = _find_step(journey, slug)
    landing = journey.first_incomplete()
    if step is None or (
        landing is not None and journey.pages.index(step) > journey.pages.index(landing)
    ):
        # Pages are answered in order: the profile decides who goes on.
        return redirect((landing or journey.pages[-1]).url())
    if request.method == "GET":
        return _page(request, journey, step, SectionForm(step.section, journey.values))

    action = request.POST.get("action", "continue")
    form = SectionForm(
        step.section, journey.values, request.POST, require_complete=action == "continue"
    )
    if not form.is_valid():
        return _page(request, journey, step, form, status=422)
    try:
        # One sitting in one browser: the latest page wins, no version to compare.
        values = response.save_answers(
            sections,
            form.changed_answers(),
            completed_section=step.section if action == "continue" else None,
        )
    except EditionClosed:
        return render(request, "poll/closed.html", edition_context(edition), status=403)
    if step.section.slug == PROFILE_SECTION:
        # Whatever the button: a profile re-posted with « Précédent » is a profile too.
        profile = profile_of(values)
        if is_screened_out(profile):
            participation.end(Outcome.SCREENED_OUT)
            return send_back(participation)
        if Quota.objects.full_for(edition, profile):
            participation.end(Outcome.QUOTA_FULL)
            return send_back(participation)
    if action == "previous":
        previous = journey.previous(step)
        return redirect((previous or step).url())
    following = journey.next(step)
    if following is not None:
        return redirect(following.url())
    done = poll_journey(response, sections=sections, values=values)
    if done.first_incomplete() is not None:
        return redirect(done.first_incomplete().url())
    try:
        participation.complete(values, now=timezone.now())
    except EditionClosed:
        return render(request, "poll/closed.html", edition_context(edition), status=403)
    return send_back(participation)


@require_POST
@with_participation
def autosave(request, slug):
    """Background save of what changed on a page, for the page's script."""
    response = request.participation.response
    edition = response.edition
    if not edition.is_open():
        return JsonResponse({"saved": False, "message": closed_message(edition)}, status=403)
    sections = edition.questionnaire()
    journey = poll_journey(response, sections=sections)
    step = _find_step(journey, slug)
    if step is None:
        return JsonResponse({"saved": False, "message": "Page inconnue."}, status=404)
    form = SectionForm(step.section, response.values_by_code(), request.POST, partial=True)
    form.is_valid()
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    if form.cleaned_answers:
        try:
            response.save_answers(sections, form.cleaned_answers)
        except EditionClosed:
            return JsonResponse({"saved": False, "message": closed_message(edition)}, status=403)
    saved_at = timezone.localtime(response.updated_at)
    return JsonResponse(
        {
            "saved": True,
            "saved_at": saved_at.strftime("%H h %M"),
            "version": response.version,
            "errors": errors,
            "refused": form.refused(),
        }
    )


@require_GET
def public_crossing(request, year):
    """The crossed questions of a year, once both sides have closed and a crossed
    collectivités' question is published; figures that are not publishable are not shown."""
    if not crossing.is_public(year):
        return message(
            request,
            "Pas encore de regards croisés",
            "Les réponses des citoyens et des collectivités seront mises côte à côte une fois "
            "les deux enquêtes closes et leurs résultats publiés.",
            status=404,
        )
    context = crossing.page_context(year, request.GET.get("domaine"), public=True)
    return render(request, "poll/public_crossing.html", context)
