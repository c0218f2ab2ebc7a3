import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from survey.exports import formats
from survey.exports.forms import ExportForm
from survey.questionnaire.models import Edition

logger = logging.getLogger(__name__)


class ExportResponsesMixin:
    """The admin export view of responses (a whole edition, or the selected responses)."""

    def has_export_permission(self, request):
        return request.user.has_perm("survey.export_responses")

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
        format_key = form.cleaned_data["format"]
        options = form.options()
        logger.info(
            "Export %s of edition %s (%s, contacts=%s) by %s",
            format_key,
            edition.year,
            options.status,
            options.contacts,
            request.user.get_username(),
        )
        response = StreamingHttpResponse(
            formats.render(format_key, edition, options, responses),
            content_type=formats.FORMATS[format_key].content_type,
        )
        filename = formats.export_filename(format_key, edition, options)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Accel-Buffering"] = "no"  # nginx: pass the bytes on as they come
        return response
