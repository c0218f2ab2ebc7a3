import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from survey.exports.formats import EXPORTERS
from survey.exports.forms import ExportForm
from survey.permissions import EXPORT_RESPONSES
from survey.questionnaire.models import Edition

logger = logging.getLogger(__name__)


class ExportResponsesMixin:
    """The admin export view of responses (a whole edition, or the selected responses)."""

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT_RESPONSES)

    def export_view(self, request):
        """The export page: a whole edition, with options."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None, user=request.user)
        if form.is_valid():
            return self._stream(request, form, form.cleaned_data["edition"], responses=None)
        return self._export_page(request, form, title="Exporter les réponses")

    @admin.action(description="Exporter les réponses sélectionnées", permissions=["export"])
    def export_selected(self, request, queryset):
        editions = list(Edition.objects.filter(responses__in=queryset).distinct()[:2])
        if len(editions) != 1:
            self.message_user(
                request,
                "Sélectionnez des réponses d'une seule édition : chaque édition a ses propres "
                "questions, donc ses propres colonnes.",
                messages.ERROR,
            )
            return None
        form = ExportForm(
            request.POST if "format" in request.POST else None,
            user=request.user,
            with_edition=False,
            initial={"status": "all"},
        )
        if form.is_valid():
            return self._stream(request, form, editions[0], responses=queryset)
        return self._export_page(
            request,
            form,
            title=f"Exporter {queryset.count()} réponse(s) sélectionnée(s)",
            selection={
                "ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across") == "1",
                "index": request.POST.get("index", "0"),
            },
        )

    def _export_page(self, request, form, title, selection=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "selection": selection,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:survey_response_changelist"),
        }
        return TemplateResponse(request, "admin/survey/response/export.html", context)

    def _stream(self, request, form, edition, responses):
        options = form.options()
        exporter = EXPORTERS[form.cleaned_data["format"]](edition, options, responses)
        logger.info(
            "Export %s of edition %s (%s, contacts=%s) by %s",
            exporter.identifier,
            edition.year,
            options.status,
            options.contacts,
            request.user.get_username(),
        )
        response = StreamingHttpResponse(exporter.render(), content_type=exporter.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exporter.filename()}"'
        response["X-Accel-Buffering"] = "no"  # nginx: pass the bytes on as they come
        return response
