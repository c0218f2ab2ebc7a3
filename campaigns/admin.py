from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from campaigns import mail, report, texts
from campaigns.audience import queue_step, recipients, shared_addresses
from campaigns.imports import import_contacts
from campaigns.models import Contact, Message, MessageKind, OptOut, Step, StepText
from campaigns.permissions import SEND_CAMPAIGN, VIEW_CONTACT
from survey.addresses import PlainEmailField
from survey.enums import Audience
from survey.questionnaire.models import Edition

IMPORT_MAX_SIZE = 10 * 1024 * 1024  # 36,000 contacts are about 2 MB
PREVIEW_LINES = 500


def may_see_addresses(request):
    return request.user.has_perm(VIEW_CONTACT)


class ImportForm(forms.Form):
    edition = forms.ModelChoiceField(
        # Contacts are collectivités': the editions of the surveys addressed to them.
        label="Édition",
        queryset=Edition.objects.filter(survey__audience=Audience.COLLECTIVITES).order_by("-year"),
        empty_label=None,
    )
    file = forms.FileField(
        label="Fichier CSV",
        help_text="Colonnes : SIREN ou code INSEE, email, nom (facultatif), fonction "
        "(facultatif) ; séparées par des points-virgules ou des virgules ; encodage UTF-8.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_SIZE:
            raise forms.ValidationError("Le fichier dépasse 10 Mo.")
        return upload


class ContactForm(forms.ModelForm):
    email = PlainEmailField(label="Adresse électronique")

    class Meta:
        model = Contact
        fields = ["edition", "collectivite", "email", "name", "function"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactForm
    list_display = ["collectivite", "email", "name", "function", "edition", "undeliverable_at"]
    list_filter = ["edition", ("undeliverable_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name", "collectivite__name", "collectivite__siren"]
    list_select_related = ["collectivite", "edition"]
    raw_id_fields = ["collectivite"]
    readonly_fields = ["undeliverable_at", "undeliverable_reason"]
    change_list_template = "admin/campaigns/contact/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(csrf_exempt(self.import_view))
        return [path("importer/", view, name="campaigns_contact_import"), *super().get_urls()]

    def import_view(self, request):
        """The CSV upload. The site refuses files everywhere else (RefuseFiles): this view
        alone accepts one, then checks the CSRF token once the body is read."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        request.upload_handlers = [
            MemoryFileUploadHandler(request),
            TemporaryFileUploadHandler(request),
        ]
        return csrf_protect(self._import)(request)

    def _import(self, request):
        form = ImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            edition = form.cleaned_data["edition"]
            result = import_contacts(edition, form.cleaned_data["file"].read())
            if not result.error_count:
                self.message_user(
                    request,
                    f"{result.created} contact(s) importé(s) pour l'édition {edition.year} ; "
                    f"{result.already_known} déjà connu(s).",
                    messages.SUCCESS,
                )
                return redirect("admin:campaigns_contact_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Importer des contacts",
            "form": form,
            "result": result,
        }
        status = 400 if result and result.error_count else 200
        return TemplateResponse(
            request, "admin/campaigns/contact/import.html", context, status=status
        )


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["edition", "kind", "days_before_close", "send_time", "under_covered_only"]


def html_body(html):
    """The <body> of an email's HTML part, to show inside the page as the recipient sees it
    (written by campaigns.mail.html_text: escaped text and the message's own links)."""
    start = html.index("<body")
    start = html.index(">", start) + 1
    return mark_safe(html[start : html.rindex("</body>")])  # noqa: S308


class StepTextForm(forms.ModelForm):
    """One message of a step: its subject and text, placeholders checked (StepText.clean)."""

    class Meta:
        model = StepText
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "cols": 80})}

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, prefix=kind, **kwargs)
        self.instance.kind = kind


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    form = StepForm
    # The links come second: the edition's long title must not push them off the screen.
    list_display = ["__str__", "links", "edition_year", "due", "under_covered_only", "started_at"]
    list_filter = ["edition", "kind"]
    list_select_related = ["edition__survey"]

    class Media:
        css = {"all": ["campaigns/admin.css"]}

    @admin.display(description="envoi prévu le")
    def due(self, step):
        due_at = step.due_at
        return timezone.localtime(due_at) if due_at else "à la main"

    @admin.display(description="édition", ordering="edition__year")
    def edition_year(self, step):
        return format_html('<span title="{}">{}</span>', step.edition, step.edition.year)

    @admin.display(description="textes et suivi")
    def links(self, step):
        return format_html(
            '<ul class="campaign-step-links"><li><a href="{}">Textes et aperçu des '
            'destinataires</a></li><li><a href="{}">Suivi de la campagne</a></li></ul>',
            reverse("admin:campaigns_step_preview", args=[step.pk]),
            reverse("admin:campaigns_step_campaign", args=[step.edition_id]),
        )

    def get_urls(self):
        admin_view = self.admin_site.admin_view
        return [
            path("<int:pk>/apercu/", admin_view(self.preview_view), name="campaigns_step_preview"),
            path("<int:pk>/envoyer/", admin_view(self.send_view), name="campaigns_step_send"),
            path("<int:pk>/essai/", admin_view(self.test_view), name="campaigns_step_test"),
            path(
                "campagne/<int:edition_id>/",
                admin_view(self.campaign_view),
                name="campaigns_step_campaign",
            ),
            *super().get_urls(),
        ]

    def has_send_permission(self, request):
        return request.user.has_perm(SEND_CAMPAIGN)

    def preview_view(self, request, pk):
        """Each email of the step (its text, editable, and how a recipient will read it),
        then who would receive what, before anything is sent."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        step = get_object_or_404(Step.objects.select_related("edition"), pk=pk)
        may_edit = self.has_change_permission(request, step)
        found = recipients(step)
        by_kind = {}
        for recipient in found:
            by_kind[recipient.kind_label] = by_kind.get(recipient.kind_label, 0) + 1
        edited = request.POST.get("kind") if request.method == "POST" else None
        if edited is not None and not may_edit:
            raise PermissionDenied
        emails = []
        sample = mail.sample_collectivite(step, found)
        for kind in texts.kinds_of(step.kind):
            # The preview shows the text saved (or the default one), even beside a refused edit.
            subject, body = mail.step_text(step, kind)
            instance = step.texts.filter(kind=kind).first() or StepText(
                step=step, kind=kind, subject=subject, body=body
            )
            form = StepTextForm(request.POST if edited == kind else None, instance=instance,
                                kind=kind)  # fmt: skip
            if edited == kind and form.is_valid():
                form.save()
                self.message_user(
                    request,
                    f"Texte « {MessageKind(kind).label} » de l'étape {step} enregistré ; "
                    "il vaut pour les messages qui ne sont pas encore partis.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:campaigns_step_preview", args=[step.pk])
                                + f"#message-{kind}")  # fmt: skip
            values = mail.sample_values(step.edition, step, sample)
            written = mail.write(subject, body, values, kind=kind)
            emails.append({
                "kind": kind,
                "label": MessageKind(kind).label,
                "form": form,
                "subject_placeholders": texts.placeholders_of(kind, subject=True),
                "body_placeholders": texts.placeholders_of(kind),
                "subject": written[0],
                "text": written[1],
                "html_body": html_body(written[2]),
                "sample": sample or "Commune exemple",
            })  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Textes et aperçu : {step} — {step.edition}",
            "step": step,
            "emails": emails,
            "may_edit": may_edit,
            "staff_email": request.user.email,
            "sample_name": mail.SAMPLE_NAME,
            "total": len(found),
            "shared_addresses": shared_addresses(found),
            "by_kind": sorted(by_kind.items()),
            "recipients": found[:PREVIEW_LINES],
            "more": max(0, len(found) - PREVIEW_LINES),
            "show_addresses": may_see_addresses(request),
            "may_send": self.has_send_permission(request) and step.edition.is_open(),
        }
        status = 400 if edited else 200  # a valid text has redirected above
        return TemplateResponse(request, "admin/campaigns/step/preview.html", context,
                                status=status)  # fmt: skip

    def test_view(self, request, pk):
        return require_POST(self._test)(request, pk)

    def _test(self, request, pk):
        """Send one text of the step to the staff member's own address (a STEP_TEST message:
        never counted in the campaign's tracking)."""
        step = get_object_or_404(Step.objects.select_related("edition"), pk=pk)
        if not self.has_change_permission(request, step):
            raise PermissionDenied
        kind = request.POST.get("kind")
        back = redirect(reverse("admin:campaigns_step_preview", args=[step.pk]))
        if kind not in texts.kinds_of(step.kind):
            self.message_user(request, "Ce message n'existe pas pour cette étape.",
                              messages.ERROR)  # fmt: skip
            return back
        if not request.user.email:
            self.message_user(
                request,
                "Votre compte n'a pas d'adresse électronique : renseignez-la dans votre "
                "profil pour recevoir un essai.",
                messages.ERROR,
            )
            return back
        subject, body = mail.step_text(step, kind)
        mail.queue_step_test(step, kind, request.user.email, subject, body)
        self.message_user(
            request,
            f"Essai du message « {MessageKind(kind).label} » envoyé à votre adresse "
            f"({request.user.email}), avec un destinataire d'exemple et des liens inactifs.",
            messages.SUCCESS,
        )
        return back

    def send_view(self, request, pk):
        return require_POST(self._send)(request, pk)

    def _send(self, request, pk):
        if not self.has_send_permission(request):
            raise PermissionDenied
        step = get_object_or_404(Step.objects.select_related("edition"), pk=pk)
        if not step.edition.is_open():
            self.message_user(request, "L'édition n'est pas ouverte : rien n'est envoyé.",
                              messages.ERROR)  # fmt: skip
        else:
            count = queue_step(step)
            self.message_user(
                request, f"{step} : {count} message(s) en file d'envoi.", messages.SUCCESS
            )
        return redirect("admin:campaigns_step_campaign", step.edition_id)

    def campaign_view(self, request, edition_id):
        """Invited, delivered, bounced, opted out, started, sent: per step and per stratum."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        edition = get_object_or_404(Edition, pk=edition_id)
        strata, total = report.per_stratum(edition)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Suivi de la campagne — {edition}",
            "edition": edition,
            "steps": edition.campaign_steps.all(),
            "status_columns": [label for _, label, _ in report.STATUS_COLUMNS]
            + [label for _, label in report.FOLLOW_UP_COLUMNS],
            "per_step": report.per_step(edition),
            "stratum_columns": [label for _, label in report.STRATUM_COLUMNS],
            "per_stratum": strata,
            "stratum_total": total,
            "failures": report.failures(edition),
            "show_addresses": may_see_addresses(request),
            "opted_out": OptOut.objects.filter(
                edition=edition, reason=OptOut.Reason.UNSUBSCRIBED
            ).count(),
        }
        return TemplateResponse(request, "admin/campaigns/step/campaign.html", context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The delivery log: read only."""

    list_display = ["created_at", "kind", "step", "status", "attempts", "last_error"]
    list_filter = ["status", "kind", "edition", "step"]
    list_select_related = ["step"]
    date_hierarchy = "created_at"

    def get_list_display(self, request):
        # Addresses are personal data: shown only with the contacts' permission.
        if may_see_addresses(request):
            return [*self.list_display[:3], "recipient", *self.list_display[3:]]
        return self.list_display

    def get_fields(self, request, obj=None):
        fields = ["kind", "edition", "step", "status", "attempts", "last_error", "created_at",
                  "next_attempt_at", "sent_at", "provider_event"]  # fmt: skip
        return fields + (["recipient", "subject"] if may_see_addresses(request) else [])

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["email", "edition", "reason", "created_at"]
    list_filter = ["reason", "edition"]
    search_fields = ["email"]

    # Every way in lists addresses: each needs the contacts' permission as well (the
    # changelist opens to whoever may change, not only to whoever may view).
    def has_view_permission(self, request, obj=None):
        return may_see_addresses(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_see_addresses(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return may_see_addresses(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return may_see_addresses(request) and super().has_delete_permission(request, obj)
