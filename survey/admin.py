import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from survey import exports
from survey.enums import QuestionKind, ResponseStatus
from survey.forms_export import ExportForm
from survey.models import (
    CONTACT_PERMISSION,
    PERSONAL_FIELDS,
    AccessRequest,
    Answer,
    Choice,
    Collectivite,
    CollectiviteTaken,
    Edition,
    MatrixItem,
    Question,
    Respondent,
    Response,
    ResponseSubmission,
    Section,
)
from survey.questionnaire import CODE_PATTERN, codes_used_in_answers

logger = logging.getLogger(__name__)


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
            CONTACT_PERMISSION
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
        return request.user.has_perm("survey.delete_accessrequest")

    @admin.action(description="Révoquer les liens d'accord sélectionnés", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = queryset.filter(granted_at=None, revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} lien(s) d'accord révoqué(s).", messages.SUCCESS)

    def get_fields(self, request, obj=None):
        if request.user.has_perm("survey.view_contact_details"):
            return self.fields
        return [field for field in self.fields if field != "email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    """The official list, read-only: it comes from load_collectivites."""

    list_display = ["name", "kind", "epci_nature", "departement_code", "population", "siren"]
    list_filter = ["kind", "population_band", "region_name"]
    search_fields = ["name", "siren", "insee_code", "postcodes"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _count(number):
    return f"{number:,}".replace(",", "\u202f")


# -- Questionnaire ------------------------------------------------------------------------


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["position", "slug", "title"]
    ordering = ["position"]
    show_change_link = True


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["year", "title", "opens_at", "closes_at"]
    inlines = [SectionInline]


class QuestionInline(admin.TabularInline):
    """The questions of a section, to reorder them; codes and kinds change on their own page."""

    model = Question
    extra = 0
    fields = ["position", "code", "text", "kind", "required", "is_active"]
    readonly_fields = ["code", "kind"]
    ordering = ["position"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "edition", "position", "slug"]
    list_filter = ["edition"]
    list_select_related = ["edition"]
    ordering = ["edition", "position"]
    inlines = [QuestionInline]


LOCKED_CODE_HELP = (
    "Déjà utilisé dans des réponses : son code ne peut plus changer et il ne peut pas être "
    "supprimé, sans quoi ces réponses deviendraient illisibles."
)


class AnsweredCodesFormSet(BaseInlineFormSet):
    """Choices and matrix lines already used in answers keep their code and cannot go."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        used = codes_used_in_answers(self.instance) if self.instance.pk else set()
        for form in self.initial_forms:
            if form.instance.code in used:
                # Tabular inlines show no per-row help text: the explanation is a tooltip.
                for name in ("code", "DELETE"):
                    if name in form.fields:
                        form.fields[name].disabled = True
                        form.fields[name].widget.attrs["title"] = LOCKED_CODE_HELP


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = AnsweredCodesFormSet
    extra = 0
    fields = ["position", "code", "label", "is_other", "is_exclusive", "is_active"]
    ordering = ["position"]


class MatrixItemInline(admin.TabularInline):
    model = MatrixItem
    formset = AnsweredCodesFormSet
    extra = 0
    fields = ["position", "code", "label"]
    ordering = ["position"]


class QuestionAdminForm(admin.ModelAdmin.form):
    def clean_code(self):
        code = self.cleaned_data["code"]
        if not CODE_PATTERN.match(code):
            raise ValidationError(
                "Le code doit commencer par une lettre minuscule et ne contenir que des "
                "minuscules, chiffres et « _ » : c'est le nom de la colonne dans les exports."
            )
        return code


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = [
        "code",
        "short_text",
        "kind",
        "section",
        "position",
        "required",
        "is_active",
        "open_data",
    ]
    list_display_links = ["code", "short_text"]
    list_filter = ["edition", "section", "kind", "is_active", "open_data", "required"]
    list_select_related = ["section"]
    search_fields = ["code", "text"]
    ordering = ["edition", "section__position", "position"]
    actions = ["deactivate"]
    inlines = [ChoiceInline, MatrixItemInline]
    fieldsets = [
        (None, {"fields": ["answers_note", "edition", "section", "position", "code", "kind"]}),
        ("Texte", {"fields": ["text", "help_text"]}),
        (
            "Règles de réponse",
            {"fields": ["required", "max_choices", "min_value", "max_value", "max_length"]},
        ),
        ("Condition d'affichage", {"fields": ["condition_question", "condition_codes"]}),
        ("Publication", {"fields": ["is_active", "open_data"]}),
    ]

    @admin.display(description="intitulé")
    def short_text(self, question):
        return question.text if len(question.text) <= 80 else question.text[:79] + "…"

    @admin.display(description="réponses reçues")
    def answers_note(self, question):
        count = question.answers.count() if question.pk else 0
        if not count:
            return "Aucune : la question peut encore changer de code ou être supprimée."
        note = (
            f"{_count(count)} réponse(s) : le code, le type et l'édition de la question ne "
            "peuvent plus changer et elle ne peut pas être supprimée. Pour ne plus la poser, "
            "décochez « active » : ses réponses restent dans les exports."
        )
        used = codes_used_in_answers(question)
        locked = [c.code for c in question.choices.all() if c.code in used]
        locked += [i.code for i in question.items.all() if i.code in used]
        if locked:
            note += (
                " Choix et lignes déjà utilisés dans des réponses, dont le code est figé et "
                "qui ne peuvent pas être supprimés (décochez « actif » pour ne plus proposer "
                f"un choix) : {', '.join(locked)}."
            )
        return note

    def get_readonly_fields(self, request, obj=None):
        readonly = ["answers_note"]
        if obj is not None and obj.answers.exists():
            readonly += ["edition", "code", "kind"]
        return readonly

    def get_deleted_objects(self, objs, request):
        answered = (
            Answer.objects.filter(question__in=objs)
            .values_list("question__code")
            .annotate(count=Count("pk"))
            .order_by("question__code")
        )
        if answered:
            protected = [
                f"« {code} » a déjà {_count(count)} réponse(s) : elle ne peut pas être "
                "supprimée. Désactivez-la plutôt (action « Désactiver les questions "
                "sélectionnées », ou case « active »)."
                for code, count in answered
            ]
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)

    @admin.action(description="Désactiver les questions sélectionnées", permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(
            request,
            f"{count} question(s) désactivée(s) : elles ne sont plus posées, leurs réponses "
            "restent dans les exports.",
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/deactivate/",
                self.admin_site.admin_view(self.deactivate_view),
                name="survey_question_deactivate",
            ),
            *super().get_urls(),
        ]

    def deactivate_view(self, request, pk):
        question = get_object_or_404(Question, pk=pk)
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        question.is_active = False
        question.save(update_fields=["is_active"])
        self.message_user(
            request,
            f"La question « {question.code} » est désactivée : elle n'est plus posée, ses "
            "réponses restent dans les exports.",
            messages.SUCCESS,
        )
        return redirect("admin:survey_question_change", question.pk)


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
        regions = (
            Collectivite.objects.exclude(region_code="")
            .values_list("region_code", "region_name")
            .distinct()
        )
        return sorted(((code, name or code) for code, name in regions), key=lambda r: r[1])

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
        return request.user.has_perm("survey.view_contact_details")

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


def readable_answer(export, value):
    """An answer in words, as staff read it: labels rather than codes."""
    kind = export.kind
    labels = export.choice_labels
    other = value.get("other") if isinstance(value, dict) else None
    if kind in exports.SINGLE_KINDS:
        text = labels.get(exports._single_code(value), exports._single_code(value))
    elif kind == QuestionKind.MULTIPLE_CHOICE:
        text = " ; ".join(labels.get(code, code) for code in exports._multiple_codes(value))
    elif kind == QuestionKind.MATRIX:
        return [
            (export.item_labels.get(item, item), labels.get(code, code))
            for item, code in value.items()
        ]
    elif kind == QuestionKind.YES_NO:
        text = "Oui" if value else "Non"
    elif kind == QuestionKind.DECIMAL:
        text = str(value).replace(".", ",")
    else:
        text = str(value)
    return f"{text} — précision : {other}" if other else text


def answers_by_section(response):
    """[(section, [(question, state, answer in words, hidden stored answer)])] of a response."""
    layout = exports.Layout(response.edition, exports.ExportOptions())
    values = {
        layout.codes_by_id[question_id]: value
        for question_id, value in response.answers.values_list("question_id", "value")
    }
    sections = []
    for section, question_exports in layout.sections():
        rows = []
        for export in question_exports:
            state, value = exports.answer_state(export.question, values)
            stored = values.get(export.code)
            hidden = (
                readable_answer(export, stored)
                if state == exports.NOT_ASKED_STATE and stored not in (None, "", [], {})
                else None
            )
            shown = readable_answer(export, value) if state == exports.ANSWERED_STATE else None
            rows.append((export.question, state, shown, hidden))
        sections.append((section, rows))
    return sections


@admin.register(Response)
class ResponseAdmin(PersonalFieldsAdmin):
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
        "edition",
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
        return f"{response.progress} %"

    @admin.display(description="réponses par section")
    def answers(self, response):
        return render_to_string(
            "admin/survey/response/answers.html", {"sections": answers_by_section(response)}
        )

    def has_add_permission(self, request):
        return False  # responses come from the questionnaire only

    def has_change_permission(self, request, obj=None):
        # Answers change only through the questionnaire, where Question.clean_answer applies:
        # the admin shows responses, read-only, even to superusers.
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("survey.export_responses")

    def has_merge_permission(self, request):
        # Reassigning and merging fix duplicates; the Observatoire group only reads.
        return request.user.has_perm("survey.change_response")

    @staticmethod
    def may_correct(request, response):
        """After the close, the collected data are final: only a dedicated permission may
        still reassign or merge, with a reason."""
        return not response.edition.has_closed() or request.user.has_perm(
            "survey.correct_after_close"
        )

    @staticmethod
    def logged_reason(reason):
        return f" Motif : {reason}" if reason else ""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reassign_link"]

    def get_fieldsets(self, request, obj=None):
        hidden = set()
        if not self.has_merge_permission(request):
            hidden.add("reassign_link")
        if not request.user.has_perm(CONTACT_PERMISSION):
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
        if term and request.user.has_perm("survey.view_contact_details"):
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
            response.context_data["counts"] = {key: _count(n) for key, n in counts.items()}
        return response

    # -- Exports

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
            exports.render(format_key, edition, options, responses),
            content_type=exports.FORMATS[format_key].content_type,
        )
        filename = exports.export_filename(format_key, edition, options)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Accel-Buffering"] = "no"  # nginx: pass the bytes on as they come
        return response
