"""The respondent's journey: landing, pages, autosave, review, sending, resume links.

The browser keeps the respondent's resume token in a cookie; the database keeps only its
hash and all the progress. Sessions are not used, so nothing expires during a long sitting.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from survey.collection import emails
from survey.collection.forms import (
    ACTION_FIELD,
    AccessRequestForm,
    ResumeByEmailForm,
    SectionForm,
    StartForm,
)
from survey.collection.journey import CollectiviteStep, Journey
from survey.collection.models import (
    AccessRequest,
    CollectiviteTaken,
    EditConflict,
    Respondent,
    Response,
    ResumeToken,
)
from survey.collection.pages import (
    RESUME_COOKIE,
    closed_message,
    closed_page,
    current_respondent,
    edition_context,
    resume_url,
    secret_address,
    set_resume_cookie,
)
from survey.collectivites.forms import CollectivitePickerForm
from survey.collectivites.models import Collectivite
from survey.links import absolute_url
from survey.questionnaire.models import (
    BAROMETER_SURVEY,
    Edition,
    EditionClosed,
)
from survey.typography import typeset, typeset_html

# -- Helpers ---------------------------------------------------------------------------------
# The ones other apps' pages share are in pages.py.


def with_response(view):
    """Give the view the browser's response, or send the visitor back to the landing page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        respondent = current_respondent(request)
        if respondent is None:
            messages.info(
                request,
                "Aucune réponse en cours dans ce navigateur. Ouvrez votre lien personnel de "
                "reprise, ou commencez le questionnaire.",
            )
            return redirect("home")
        request.respondent = respondent
        request.survey_response = respondent.response
        page = view(request, *args, **kwargs)
        # Answers, the review and the resume link must not stay in a shared browser's cache.
        add_never_cache_headers(page)
        return page

    return wrapper


# -- Public pages ------------------------------------------------------------------------------


@require_GET
def home(request):
    edition = Edition.objects.current(BAROMETER_SURVEY)
    if edition is None:
        return render(request, "survey/home.html", {"edition": None})
    respondent = current_respondent(request)
    context = edition_context(edition) | {
        "sections": edition.sections.order_by("position"),
        "start_form": StartForm(),
        "current_response": (
            respondent.response
            if respondent is not None and respondent.response.edition_id == edition.pk
            else None
        ),
    }
    return render(request, "survey/home.html", context)


@require_GET
def privacy(request):
    return render(
        request, "survey/privacy.html", {"edition": Edition.objects.current(BAROMETER_SURVEY)}
    )


@require_GET
def legal_notice(request):
    return render(request, "survey/legal.html", {"hosting": settings.LEGAL_HOSTING})


@require_GET
def accessibility(request):
    site_url = absolute_url(reverse("home"))
    return render(request, "survey/accessibility.html", {"site_url": site_url})


@require_POST
@never_cache
@ratelimit(key="ip", rate="60/h", block=True)
def start(request):
    edition = Edition.objects.current(BAROMETER_SURVEY)
    if edition is None:
        raise Http404("Aucune édition")
    if not edition.is_open():
        return closed_page(request, edition)
    form = StartForm(request.POST)
    if not form.is_valid():
        context = edition_context(edition) | {
            "sections": edition.sections.order_by("position"),
            "start_form": form,
        }
        return render(request, "survey/home.html", context, status=400)
    response = Response.objects.create(edition=edition)
    email = form.cleaned_data["email"]
    respondent, token = Respondent.create_for(response, email=email)
    if email:
        emails.send_resume_link(respondent)
    return set_resume_cookie(redirect("resume_link"), token)


@require_GET
@never_cache
@secret_address
@ratelimit(key="ip", rate="30/m", block=True)
def resume(request, token):
    respondent = ResumeToken.find_respondent(token)
    if respondent is None:
        return render(request, "survey/resume_not_found.html", status=404)
    url = Journey.for_collectivites(respondent.response).first_incomplete().url()
    return set_resume_cookie(redirect(url), token)


def posted_address(group, request):
    """The address a form posts, as the rate limit counts it: `Victim@` is `VICTIM@`."""
    return request.POST.get("email", "").strip().lower()


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
@ratelimit(key=posted_address, rate="3/h", method="POST", block=True)
def resume_by_email(request):
    form = ResumeByEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        # Looked up when the message is sent, in the background: the page takes the same
        # time whether or not the address has a draft.
        emails.send_resume_links(email)
        return render(request, "survey/resume_by_email_sent.html", {"email": email})
    status = 400 if form.errors else 200
    return render(request, "survey/resume_by_email.html", {"form": form}, status=status)


# -- The questionnaire ------------------------------------------------------------------------


@require_GET
@with_response
def resume_link(request):
    """The respondent's personal link, shown after starting and after « reprendre plus tard »."""
    response = request.survey_response
    context = edition_context(response.edition) | {
        "resume_url": resume_url(request, request.COOKIES[RESUME_COOKIE]),
        "next_url": Journey.for_collectivites(response).first_incomplete().url(),
        "just_started": response.version == 0,
        "email": request.respondent.email,
    }
    return render(request, "survey/resume_link.html", context)


def _section_context(response, journey, section, form, **extra):
    step = journey.step_for(section)
    return (
        edition_context(response.edition)
        | {
            "response": response,
            "sections": journey.sections,
            "section": section,
            "step": journey.position(step),
            "steps": journey.count,
            "progress_percent": journey.percent_before(step),
            "previous": journey.previous(step),
            "form": form,
            "blocks": form.blocks(),
            "version": response.version,
            "shown": form.shown(),
        }
        | extra
    )


def _find_section(sections, slug):
    for section in sections:
        if section.slug == slug:
            return section
    raise Http404("Cette page du questionnaire n'existe pas.")


@require_http_methods(["GET", "POST"])
@with_response
def section(request, slug):
    response = request.survey_response
    edition = response.edition
    sections = edition.questionnaire()
    current = _find_section(sections, slug)
    values = response.values_at_lookup()
    journey = Journey.for_collectivites(response, sections=sections, values=values)
    step = journey.step_for(current)
    asks_collectivite = journey.page_showing(CollectiviteStep) is step
    picker = structure_form(request, response) if asks_collectivite else None
    if request.method == "GET":
        form = SectionForm(current, values, suggestions=response.suggestions)
        read_only = not edition.is_open()
        taken = {}
        if picker is not None and (other := response.taken_by(picker.chosen)) is not None:
            # Back from the search without JavaScript: say it now, not once the page is filled.
            taken = taken_context(picker.chosen, other)
            picker = structure_form(request, response, prefill=False)
        context = _section_context(
            response, journey, current, form, read_only=read_only, picker=picker, **taken
        )
        return render(request, "survey/section.html", context)

    pressed = None
    if ACTION_FIELD in request.POST:
        pressed = SectionForm(current, values, request.POST).apply_question_action(request.POST)
    if pressed is not None and edition.is_open():
        # « Ajouter un projet » and the like: the page comes back changed, nothing saved.
        data, message, code = pressed
        form = SectionForm(current, values, data)
        version = posted_version(request)
        context = _section_context(
            response, journey, current, form, picker=picker,
            question_action={"code": code, "message": message},
            version=response.version if version is None else version,
        )  # fmt: skip
        return render(request, "survey/section.html", context)
    action = request.POST.get("action", "continue")
    form = SectionForm(current, values, request.POST, require_complete=action == "continue")
    if not edition.is_open():
        form.is_valid()  # bind the typed values so that they can be shown back
        return closed_page(request, edition, form=form, section=current, sections=sections)
    structure = None
    if picker is not None:
        if picker.is_valid():
            structure = picker.structure
        elif action != "continue" and not picker.has_input():
            picker = None  # nothing chosen yet: « plus tard » and « Précédent » allow that
    form_ok = form.is_valid()
    if not form_ok or (picker is not None and picker.errors):
        # The typed values are shown back unsaved: they keep the version they were typed on.
        version = posted_version(request)
        context = _section_context(
            response, journey, current, form, picker=picker,
            version=response.version if version is None else version,
        )  # fmt: skip
        return render(request, "survey/section.html", context, status=422)
    try:
        with transaction.atomic():
            if structure is not None:
                response.assign_structure(structure)
            response.save_answers(
                sections,
                form.changed_answers(),
                completed_section=current if action == "continue" else None,
                base_version=posted_version(request),
            )
    except CollectiviteTaken as error:
        # Said once, in the picker, which no longer holds the taken collectivité.
        picker = CollectivitePickerForm()
        context = _section_context(
            response, journey, current, form, picker=picker,
            **taken_context(structure, error.existing),
        )  # fmt: skip
        return render(request, "survey/section.html", context, status=409)
    except EditConflict as conflict:
        context = _section_context(
            response, journey, current, form, picker=picker,
            version=conflict.current_version, conflicts=conflict_rows(conflict),
            shown=form.shown_after_conflict(conflict.conflicts),
        )  # fmt: skip
        return render(request, "survey/section.html", context, status=409)
    except EditionClosed:
        return closed_page(request, edition, form=form, section=current, sections=sections)
    if action == "later":
        return redirect("resume_link")  # its heading says « Vos réponses sont enregistrées »
    if action == "previous":
        previous = journey.previous(step)
        return redirect(previous.url() if previous else "home")
    return redirect(journey.next(step).url())  # the review after the last page


def taken_context(collectivite, other):
    """What the picker says of a collectivité that `other` response already has."""
    return {
        "taken": collectivite,
        "taken_response": other,
        "access_url": reverse("request_access", args=[collectivite.code]),
    }


@require_GET
@ratelimit(key="ip", rate="120/m", block=True)
@with_response
def collectivite_taken(request, code):
    """For the picker's script, right after a choice: whether another response already has
    that collectivité, and what to say (the same words as after saving the page)."""
    collectivite = Collectivite.objects.by_code(code)
    other = request.survey_response.taken_by(collectivite)
    if other is None:
        return JsonResponse({"taken": False})
    context = taken_context(collectivite, other)
    html = render_to_string("survey/includes/collectivite_taken.html", context, request=request)
    return JsonResponse({"taken": True, "html": typeset_html(html)})


def structure_form(request, response, prefill=True):
    """The collectivité picker of the first page, filled with what the response has."""
    if request.method == "POST":
        return CollectivitePickerForm(request.POST)
    initial = {}
    if response.collectivite_id:
        initial["collectivite"] = response.collectivite.code
    elif response.other_structure_siren:
        initial = {
            "other_structure": True,
            "other_name": response.other_structure_name,
            "other_siren": response.other_structure_siren,
        }
    return CollectivitePickerForm(
        initial=initial, prefill=request.GET.get("collectivite") if prefill else None
    )


@require_POST
@with_response
def autosave(request, slug):
    """Background save of what changed on a page; answers JSON for the page's script."""
    response = request.survey_response
    edition = response.edition
    if not edition.is_open():
        return JsonResponse(
            {"saved": False, "message": closed_message(edition)},
            status=403,
        )
    sections = edition.questionnaire()
    current = _find_section(sections, slug)
    form = SectionForm(current, response.values_at_lookup(), request.POST, partial=True)
    form.is_valid()
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    if form.cleaned_answers:
        try:
            response.save_answers(
                sections, form.cleaned_answers, base_version=posted_version(request)
            )
        except EditConflict as conflict:
            return JsonResponse(
                {
                    "saved": False,
                    "message": typeset(
                        "Ces réponses ont été modifiées depuis un autre onglet ou appareil : "
                        "rechargez la page pour voir la dernière version."
                    ),
                    "conflicts": [question.code for question in conflict.conflicts],
                },
                status=409,
            )
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


def posted_version(request):
    """The response version the page was displayed with: None when not sent (no check),
    0 (the oldest, so every change since is checked) when garbled."""
    if "version" not in request.POST:
        return None
    try:
        return max(0, int(request.POST["version"]))
    except ValueError:
        return 0


def conflict_rows(conflict):
    values = {question.code: value for question, value in conflict.conflicts.items()}
    return [
        {"question": question, "saved": answer_text(question, values)}
        for question in conflict.conflicts
    ]


@require_http_methods(["GET", "POST"])
@with_response
def review(request):
    response = request.survey_response
    edition = response.edition
    sections = edition.questionnaire()
    journey = Journey.for_collectivites(response, sections=sections)
    summary = _summary(journey)
    missing = len(journey.missing())
    if request.method == "POST":
        if not edition.is_open():
            return closed_page(request, edition, sections=sections)
        if missing:
            messages.error(request, "Des réponses obligatoires manquent : complétez-les.")
        else:
            try:
                newly_sent = response.submit()
            except EditionClosed:
                return closed_page(request, edition, sections=sections)
            if newly_sent and request.respondent.email:
                emails.send_receipt(request.respondent.email, response, summary)
            return redirect("sent")
    context = edition_context(edition) | {
        "response": response,
        "summary": summary,
        "missing_count": missing,
        "read_only": not edition.is_open(),
    }
    return render(
        request,
        "survey/review.html",
        context,
        status=422 if missing and request.method == "POST" else 200,
    )


def _summary(journey):
    """Each section with its asked questions, their answers as text, and what is missing.

    A step shown on a section's page (the collectivité) is listed first, like a question.
    """
    response, values = journey.response, journey.values
    summary = []
    for page in journey.section_steps:
        rows = [
            {"question": step, "answer": step.answer(response)} for step in journey.shown_on(page)
        ]
        for question in page.asked(values):
            rows.append(
                {
                    "question": question,
                    "answer": answer_text(question, values),
                    "lines": matrix_lines(question, values),
                    "group_items": item_lines(question, values),
                }
            )
        summary.append({"section": page.section, "rows": rows, "missing": journey.missing_on(page)})
    return summary


def answer_text(question, values):
    """An answer as the respondent would say it: labels, not codes. None when unanswered."""
    value = values.get(question.code)
    if value is None:
        return None
    return question.kind_class.words(question, value)


def item_lines(question, values):
    """A repeated group's answer as its items, each with its answers; None otherwise."""
    value = values.get(question.code)
    return None if value is None else question.kind_class.item_words(question, value)


def matrix_lines(question, values):
    """A matrix answer as (row, answer) pairs in the questionnaire's order; None otherwise."""
    value = values.get(question.code)
    if not question.kind_class.has_items or value is None:
        return None
    labels = {choice.code: choice.label for choice in question.active_choices}
    return [
        (item.label, labels.get(value[item.code], value[item.code]))
        for item in question.active_items
        if value.get(item.code)
    ]


@require_GET
@with_response
def sent(request):
    response = request.survey_response
    if not response.is_submitted:
        return redirect("review")
    context = edition_context(response.edition) | {
        "response": response,
        "summary": _summary(Journey.for_collectivites(response)),
        "submissions": response.submissions.all(),
        "email": request.respondent.email,
        "forget_local_copies": response.public_id,  # sent: the browser's copies are stale
    }
    return render(request, "survey/sent.html", context)


def csrf_failure(request, reason=""):
    """A page left open too long, or cookies cleared: never lose what was typed."""
    match = request.resolver_match or _resolve(request.path)
    respondent = current_respondent(request)
    url_name = match.url_name if match else None
    if url_name == "autosave":
        return JsonResponse({"saved": False, "message": typeset(EXPIRED_MESSAGE)}, status=403)
    if url_name == "section" and respondent is not None and request.method == "POST":
        response = respondent.response
        sections = response.edition.questionnaire()
        current = _find_section(sections, match.kwargs["slug"])
        values = response.values_by_code()
        journey = Journey.for_collectivites(response, sections=sections, values=values)
        form = SectionForm(current, values, request.POST)
        form.is_valid()
        form.errors.clear()  # nothing was checked: only the expiry is news
        messages.error(request, EXPIRED_MESSAGE)
        version = posted_version(request)
        context = _section_context(
            response, journey, current, form, read_only=False,
            version=response.version if version is None else version,
        )  # fmt: skip
        page = render(request, "survey/section.html", context, status=403)
        add_never_cache_headers(page)
        return page
    return render(request, "403_csrf.html", status=403)


EXPIRED_MESSAGE = (
    "Par sécurité, cette page a expiré et vos dernières saisies n'ont pas encore été "
    "enregistrées. Elles sont affichées ci-dessous : vérifiez-les, puis enregistrez de nouveau."
)


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None


@require_http_methods(["GET", "POST"])
@with_response
def delete_draft(request):
    """A respondent may delete their own draft, with everything attached to it."""
    response = request.survey_response
    edition = response.edition
    if response.is_submitted:
        messages.error(
            request,
            "Une réponse envoyée ne peut pas être supprimée ici : écrivez à "
            f"{settings.CONTACT_EMAIL}.",
        )
        return redirect("review")
    if request.method == "POST":
        if not edition.is_open():
            return closed_page(request, edition)
        public_id = response.public_id
        response.delete()
        context = {"forget_local_copies": public_id}
        page = render(request, "survey/deleted.html", context, status=200)
        page.delete_cookie(RESUME_COOKIE, samesite="Lax")
        return page
    return render(request, "survey/delete_draft.html", edition_context(edition))


@require_POST
@never_cache
def forget_browser(request):
    """On a shared computer: this browser forgets the response, and the link it held stops
    working (a copy of the cookie opens nothing); everything saved stays, and the links sent
    by email still work."""
    token = request.COOKIES.get(RESUME_COOKIE)
    respondent = current_respondent(request)
    ResumeToken.revoke(token)
    context = {"forget_local_copies": "all", "revoked": respondent is not None}
    if respondent is not None and not respondent.email:
        # Nobody can send them a link: the one this browser held is replaced, shown once.
        context["new_resume_url"] = resume_url(request, respondent.new_token())
    page = render(request, "survey/forgotten.html", context)
    page.delete_cookie(RESUME_COOKIE, samesite="Lax")
    page["Clear-Site-Data"] = '"cache"'  # the pages of the response the browser kept
    return page


# -- Sharing a response with a colleague ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
# Whether a collectivité has a response shows here (and on the picker): public information,
# as the privacy page says, but not to be listed in bulk.
@ratelimit(key="ip", rate="30/h", method="GET", block=True)
@with_response
def request_access(request, code):
    """A second person picked a collectivité that already has a response: ask to join it."""
    collectivite = Collectivite.objects.by_code(code)
    if collectivite is None:
        raise Http404("Collectivité inconnue")
    edition = request.survey_response.edition
    existing = Response.objects.filter(edition=edition, collectivite=collectivite).first()
    if existing is None or existing.pk == request.survey_response.pk:
        messages.info(
            request, "Cette collectivité n'a pas d'autre réponse : vous pouvez la choisir."
        )
        url = reverse("section", args=[edition.sections.order_by("position")[0].slug])
        return redirect(f"{url}?collectivite={collectivite.code}")
    if not edition.is_open():
        return closed_page(request, edition)
    form = AccessRequestForm(request.POST or None, initial={"email": request.respondent.email})
    if request.method == "POST" and form.is_valid():
        access, _ = AccessRequest.create_for(existing, form.cleaned_data["email"])
        recipients = [r.email for r in existing.respondents.exclude(email="")]
        if recipients:
            emails.send_access_request(recipients, access)
        return render(request, "survey/access_requested.html", {"collectivite": collectivite})
    context = {"form": form, "collectivite": collectivite}
    return render(
        request, "survey/request_access.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@never_cache
@secret_address
@ratelimit(key="ip", rate="30/m", block=True)
def grant_access(request, token):
    """The first respondent shares the response; the newcomer gets a resume link of their own."""
    access = AccessRequest.find(token)
    if access is None:
        return render(request, "survey/resume_not_found.html", status=404)
    edition = access.response.edition
    if request.method == "POST":
        if not edition.is_open():
            return closed_page(request, edition)
        newcomer = access.grant()
        if newcomer is not None:
            emails.send_access_granted(newcomer)
            return render(request, "survey/access_granted.html", {"access": access})
    usable = access.is_usable()
    context = {"access": access, "usable": usable} | edition_context(edition)
    status = 200 if usable or access.granted_at else 410
    return render(request, "survey/grant_access.html", context, status=status)


def rate_limited(request, exception):
    """Too many attempts from one address (django-ratelimit): a clear 429 in French."""
    message = "Trop de tentatives en peu de temps. Patientez quelques minutes puis réessayez."
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"message": typeset(message)}, status=429)
    return render(request, "429.html", {"message": message}, status=429)


# -- Operations --------------------------------------------------------------------------------


def healthz(request):
    """For the load balancer: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("base de données injoignable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
