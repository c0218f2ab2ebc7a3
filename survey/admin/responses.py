"""The responses' admin, the staff's desk: filters and counts, reassigning and merging,
access requests, and the exports of the responses (built on survey.exports, above them)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from survey import numbers
from survey.collection.models import (
    PERSONAL_FIELDS,
    AccessRequest,
    CollectiviteTaken,
    Respondent,
    Response,
    ResponseSubmission,
)
from survey.collectivites.models import Collectivite
from survey.enums import Audience, ResponseStatus
from survey.exports.admin import ExportResponsesMixin
from survey.exports.answers import answers_by_section
from survey.permissions import CHANGE_RESPONSE, CORRECT_AFTER_CLOSE, VIEW_CONTACT_DETAILS


class ReassignForm(forms.Form):
    code = forms.CharField(
        label="SIREN ou code INSEE de la collectivité",
        max_length=20,
        help_text="La collectivité doit figurer dans la liste officielle.",
    )

    reason = forms.CharField(
        label="Motif",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire après la clôture ; inscrit dans l'historique de la réponse.",
    )

    def __init__(self, *args, closed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = closed

    def clean_code(self):
        collectivite = Collectivite.objects.by_code(self.cleaned_data["code"])
        if collectivite is None:
            raise ValidationError("Aucune collectivité de la liste n'a ce code.")
        return collectivite


class PersonalFieldsAdmin(admin.ModelAdmin):
    """No filter, search or ordering on a personal field (PERSONAL_FIELDS) for staff without
    the contact permission: `?email__startswith=a` would tell the addresses letter by letter."""

    def lookup_allowed(self, lookup, value, request):
        field = lookup.split(LOOKUP_SEP, 1)[0]
        if field in PERSONAL_FIELDS.get(self.model, ()) and not request.user.has_perm(
            VIEW_CONTACT_DETAILS
        ):
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(AccessRequest)
class AccessRequestAdmin(PersonalFieldsAdmin):
    """Requests to join a collectivité's response: staff follow the ones left unanswered."""

    list_display = ["response", "created_at", "granted_at", "revoked_at"]
    list_filter = [("granted_at", admin.EmptyFieldListFilter)]
    fields = ["response", "created_at", "granted_at", "revoked_at", "email"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_revoke_permission(self, request):
        return self.has_delete_permission(request)

    @admin.action(description="Révoquer les liens d'accord sélectionnés", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = queryset.filter(granted_at=None, revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} lien(s) d'accord révoqué(s).", messages.SUCCESS)

    def get_fields(self, request, obj=None):
        if request.user.has_perm(VIEW_CONTACT_DETAILS):
            return self.fields
        return [field for field in self.fields if field != "email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- Responses ------------------------------------------------------------------------------


class ProgressFilter(admin.SimpleListFilter):
    title = "progression"
    parameter_name = "progression"
    BANDS = {
        "0": ("0 %", Q(progress=0)),
        "1-49": ("1 à 49 %", Q(progress__gte=1, progress__lte=49)),
        "50-99": ("50 à 99 %", Q(progress__gte=50, progress__lte=99)),
        "100": ("100 %", Q(progress=100)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.BANDS:
            return queryset.filter(self.BANDS[self.value()][1])
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """Régions by name (the reference data's codes, 11 or 84, mean little to staff)."""

    title = "région"
    parameter_name = "collectivite__region_code"

    def lookups(self, request, model_admin):
        return Collectivite.objects.regions()

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(collectivite__region_code=self.value())
        return queryset


class RespondentInline(admin.TabularInline):
    """Contact details: only for those with the dedicated permission, and never editable."""

    model = Respondent
    extra = 0
    fields = ["email", "name", "role", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_CONTACT_DETAILS)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SubmissionInline(admin.TabularInline):
    model = ResponseSubmission
    extra = 0
    fields = ["submitted_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "envois successifs"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CollectivitesEditionFilter(admin.RelatedFieldListFilter):
    """The editions of the collectivités' surveys only: the poll's are under its own admin."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"survey__audience": Audience.COLLECTIVITES},
        )


@admin.register(Response)
class ResponseAdmin(ExportResponsesMixin, PersonalFieldsAdmin):
    change_list_template = "admin/survey/response/change_list.html"
    list_display = [
        "collectivite_name",
        "collectivite_kind",
        "population_band",
        "region",
        "status",
        "progress_percent",
        "updated_at",
        "submitted_at",
    ]
    list_select_related = ["collectivite"]
    list_filter = [
        ("edition", CollectivitesEditionFilter),
        "status",
        ("collectivite__kind", admin.ChoicesFieldListFilter),
        ("collectivite__population_band", admin.ChoicesFieldListFilter),
        RegionFilter,
        ProgressFilter,
        ("updated_at", admin.DateFieldListFilter),
        ("submitted_at", admin.DateFieldListFilter),
    ]
    search_fields = ["collectivite__name", "collectivite__siren", "collectivite__insee_code"]
    search_help_text = "Nom, SIREN ou code INSEE de la collectivité, ou adresse d'un répondant."
    list_per_page = 100
    actions = ["export_selected", "merge_duplicates"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "public_id",
                    "edition",
                    "status",
                    "progress_percent",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                ]
            },
        ),
        (
            "Structure qui répond",
            {
                "fields": [
                    "collectivite",
                    "other_structure_name",
                    "other_structure_siren",
                    "reassign_link",
                ]
            },
        ),
        ("Réponses", {"fields": ["answers"]}),
    ]
    inlines = [RespondentInline, SubmissionInline]

    @admin.display(description="collectivité", ordering="collectivite__name")
    def collectivite_name(self, response):
        if response.collectivite is None:
            # The name may be a person's (PERSONAL_FIELDS): the list shows the SIREN only.
            return response.structure_for_logs or "—"
        return str(response.collectivite)

    @admin.display(description="type", ordering="collectivite__kind")
    def collectivite_kind(self, response):
        return response.collectivite.get_kind_display() if response.collectivite else "—"

    @admin.display(description="strate", ordering="collectivite__population_band")
    def population_band(self, response):
        collectivite = response.collectivite
        return (collectivite and collectivite.get_population_band_display()) or "—"

    @admin.display(description="région", ordering="collectivite__region_name")
    def region(self, response):
        collectivite = response.collectivite
        return (collectivite and (collectivite.region_name or collectivite.region_code)) or "—"

    @admin.display(description="progression", ordering="progress")
    def progress_percent(self, response):
        return numbers.percentage(response.progress, 0)

    @admin.display(description="réponses par section")
    def answers(self, response):
        return render_to_string(
            "admin/survey/response/answers.html", {"sections": answers_by_section(response)}
        )

    def get_queryset(self, request):
        # The collectivités' responses: a citizen's answers are read from the poll's
        # participations (poll/admin.py), next to its flags and weight.
        return (
            super().get_queryset(request).filter(edition__survey__audience=Audience.COLLECTIVITES)
        )

    def has_add_permission(self, request):
        return False  # responses come from the questionnaire only

    def has_change_permission(self, request, obj=None):
        # Answers change only through the questionnaire, where Question.clean_answer applies:
        # the admin shows responses, read-only, even to superusers.
        return False

    def has_merge_permission(self, request):
        # Reassigning and merging fix duplicates; the Observatoire group only reads.
        return request.user.has_perm(CHANGE_RESPONSE)

    @staticmethod
    def may_correct(request, response):
        """After the close, the collected data are final: only a dedicated permission may
        still reassign or merge, with a reason."""
        return not response.edition.has_closed() or request.user.has_perm(CORRECT_AFTER_CLOSE)

    @staticmethod
    def logged_reason(reason):
        return f" Motif : {reason}" if reason else ""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reassign_link"]

    def get_fieldsets(self, request, obj=None):
        hidden = set()
        if not self.has_merge_permission(request):
            hidden.add("reassign_link")
        if not request.user.has_perm(VIEW_CONTACT_DETAILS):
            hidden.update(PERSONAL_FIELDS[Response])
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in self.fieldsets
        ]

    @admin.display(description="correction")
    def reassign_link(self, response):
        url = reverse("admin:survey_response_reassign", args=[response.pk])
        return format_html('<a href="{}">Réattribuer à une autre collectivité</a>', url)

    def reassign_view(self, request, pk):
        """Attach a response to another collectivité (a respondent picked the wrong one)."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        response = get_object_or_404(
            Response.objects.select_related("collectivite", "edition"), pk=pk
        )
        if not self.may_correct(request, response):
            raise PermissionDenied
        form = ReassignForm(request.POST or None, closed=response.edition.has_closed())
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["code"]
            before = response.structure_for_logs
            try:
                response.assign_structure(target)
            except CollectiviteTaken as taken:
                url = reverse("admin:survey_response_change", args=[taken.existing.pk])
                form.add_error(
                    "code",
                    format_html(
                        '{} a déjà <a href="{}">une réponse</a> : fusionnez les deux réponses '
                        "depuis la liste (action « Fusionner »).",
                        target,
                        url,
                    ),
                )
            else:
                reason = self.logged_reason(form.cleaned_data["reason"])
                self.log_change(
                    request, response, f"Réattribuée de « {before} » à « {target} ».{reason}"
                )
                self.message_user(request, f"Réponse réattribuée à {target}.")
                return redirect("admin:survey_response_change", response.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Réattribuer la réponse {response.public_id[:8]}",
            "form": form,
            "response": response,
        }
        return TemplateResponse(request, "admin/survey/response/reassign.html", context)

    @admin.action(description="Fusionner deux réponses en double", permissions=["merge"])
    def merge_duplicates(self, request, queryset):
        responses = list(queryset.select_related("collectivite")[:3])
        if len(responses) != 2 or responses[0].edition_id != responses[1].edition_id:
            self.message_user(
                request,
                "Sélectionnez exactement deux réponses d'une même édition pour les fusionner.",
                messages.ERROR,
            )
            return None
        closed = responses[0].edition.has_closed()
        if not self.may_correct(request, responses[0]):
            self.message_user(
                request,
                "L'édition est close : seules les personnes autorisées à corriger les "
                "réponses après la clôture peuvent les fusionner.",
                messages.ERROR,
            )
            return None
        keep = request.POST.get("keep")
        reason = request.POST.get("reason", "").strip()[:500]
        if keep in {str(r.pk) for r in responses} and (reason or not closed):
            kept = next(r for r in responses if str(r.pk) == keep)
            duplicate = next(r for r in responses if r is not kept)
            label = (
                f"{duplicate.public_id[:8]} ({duplicate.structure_for_logs or 'sans structure'})"
            )
            kept.merge_from(duplicate)
            self.log_change(
                request,
                kept,
                f"Fusion de la réponse {label} dans celle-ci.{self.logged_reason(reason)}",
            )
            self.message_user(request, "Les deux réponses sont fusionnées.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Fusionner deux réponses",
            "responses": responses,
            "closed": closed,
            "reason_missing": closed and keep is not None and not reason,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/survey/response/merge.html", context)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        results, may_have_duplicates = super().get_search_results(request, queryset, term)
        # Searching by email would tell who answered: only for those who may see contacts.
        # A subquery rather than a join, which would need DISTINCT on 36,000 rows.
        if term and request.user.has_perm(VIEW_CONTACT_DETAILS):
            respondents = Respondent.objects.filter(response=OuterRef("pk"), email__icontains=term)
            results |= queryset.filter(Exists(respondents))
        return results, may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_export_permission": self.has_export_permission(request),
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            counts = changelist.queryset.order_by().aggregate(
                drafts=Count("pk", filter=Q(status=ResponseStatus.DRAFT)),
                submitted=Count("pk", filter=Q(status=ResponseStatus.SUBMITTED)),
            )
            response.context_data["counts"] = {key: numbers.integer(n) for key, n in counts.items()}
        return response

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="survey_response_export",
            ),
            path(
                "<int:pk>/reattribuer/",
                self.admin_site.admin_view(self.reassign_view),
                name="survey_response_reassign",
            ),
            *super().get_urls(),
        ]
