from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from campaigns import report
from campaigns.audience import queue_step, recipients
from campaigns.imports import import_contacts
from campaigns.models import Contact, Message, OptOut, Step
from survey.addresses import PlainEmailField
from survey.questionnaire.models import Edition

CONTACTS_PERMISSION = "campaigns.view_contact"
IMPORT_MAX_SIZE = 10 * 1024 * 1024  # 36,000 contacts are about 2 MB
PREVIEW_LINES = 500


def may_see_addresses(request):
    return request.user.has_perm(CONTACTS_PERMISSION)


class ImportForm(forms.Form):
    edition = forms.ModelChoiceField(
        label="Édition", queryset=Edition.objects.order_by("-year"), empty_label=None
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
        fields = ["edition", "kind", "days_before_close", "under_covered_only"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    form = StepForm
    list_display = ["__str__", "edition", "due", "under_covered_only", "started_at", "links"]
    list_filter = ["edition", "kind"]
    list_select_related = ["edition"]

    @admin.display(description="envoi prévu le")
    def due(self, step):
        return step.due_at or "à la main"

    @admin.display(description="")
    def links(self, step):
        return format_html(
            '<a href="{}">Aperçu des destinataires</a> · <a href="{}">Suivi de la campagne</a>',
            reverse("admin:campaigns_step_preview", args=[step.pk]),
            reverse("admin:campaigns_step_campaign", args=[step.edition_id]),
        )

    def get_urls(self):
        admin_view = self.admin_site.admin_view
        return [
            path("<int:pk>/apercu/", admin_view(self.preview_view), name="campaigns_step_preview"),
            path("<int:pk>/envoyer/", admin_view(self.send_view), name="campaigns_step_send"),
            path(
                "campagne/<int:edition_id>/",
                admin_view(self.campaign_view),
                name="campaigns_step_campaign",
            ),
            *super().get_urls(),
        ]

    def has_send_permission(self, request):
        return request.user.has_perm("campaigns.send_campaign")

    def preview_view(self, request, pk):
        """Who would receive what, before anything is sent."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        step = get_object_or_404(Step.objects.select_related("edition"), pk=pk)
        found = recipients(step)
        by_kind = {}
        for recipient in found:
            by_kind[recipient.kind_label] = by_kind.get(recipient.kind_label, 0) + 1
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Aperçu : {step} — {step.edition}",
            "step": step,
            "total": len(found),
            "by_kind": sorted(by_kind.items()),
            "recipients": found[:PREVIEW_LINES],
            "more": max(0, len(found) - PREVIEW_LINES),
            "show_addresses": may_see_addresses(request),
            "may_send": self.has_send_permission(request) and step.edition.is_open(),
        }
        return TemplateResponse(request, "admin/campaigns/step/preview.html", context)

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
