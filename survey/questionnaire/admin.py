from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from survey import numbers
from survey.questionnaire.loader import codes_used_in_answers
from survey.questionnaire.models import Choice, Edition, MatrixItem, Question, Section, Survey

# -- Questionnaire ------------------------------------------------------------------------


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["position", "slug", "title"]
    ordering = ["position"]
    show_change_link = True


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "audience"]


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["year", "title", "survey", "opens_at", "closes_at"]
    list_filter = ["survey"]
    list_select_related = ["survey"]
    inlines = [SectionInline]
    readonly_fields = ["preview_links"]

    @admin.display(description="Aperçu des pages (comme un répondant les voit)")
    def preview_links(self, edition):
        if edition.pk is None:
            return "—"
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:survey_edition_preview", args=[edition.pk, s.slug]), s.title)
                    for s in edition.sections.order_by("position")
                ),
            )
            or "Aucune page."
        )


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
    list_display = ["title", "edition", "position", "slug", "preview_link"]
    readonly_fields = ["preview_link"]

    @admin.display(description="Aperçu")
    def preview_link(self, section):
        if section.pk is None:
            return "—"
        url = reverse("admin:survey_edition_preview", args=[section.edition_id, section.slug])
        return format_html('<a href="{}">Voir la page comme un répondant</a>', url)

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
    fields = ["position", "code", "label", "is_other", "is_exclusive", "is_dont_know", "is_active"]
    ordering = ["position"]


class MatrixItemInline(admin.TabularInline):
    model = MatrixItem
    formset = AnsweredCodesFormSet
    extra = 0
    fields = ["position", "code", "label"]
    ordering = ["position"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
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
    list_filter = ["edition", "section", "kind", "lineage", "is_active", "open_data", "required"]
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
        ("Groupe répété (sous-questions)", {"fields": ["group"], "classes": ["collapse"]}),
        ("Publication", {"fields": ["is_active", "open_data"]}),
        (
            "Filiation (déclarée dans le fichier du questionnaire)",
            {"fields": ["lineage", "continues", "recoding"]},
        ),
        (
            "Croisement avec une autre enquête (déclaré dans le fichier du questionnaire)",
            {"fields": ["crosses_survey", "crosses_question", "crosses_items_left_out"]},
        ),
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
            f"{numbers.integer(count)} réponse(s) : le code, le type et l'édition de la question "
            "ne peuvent plus changer et elle ne peut pas être supprimée. Pour ne plus la poser, "
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
        # Lineage and crossings are checked by the loader against the other editions: the
        # file declares them.
        readonly = ["answers_note", "lineage", "continues", "recoding"]
        readonly += ["crosses_survey", "crosses_question", "crosses_items_left_out"]
        if obj is not None and obj.answers.exists():
            readonly += ["edition", "code", "kind"]
        return readonly

    def get_deleted_objects(self, objs, request):
        answered = (
            Question.objects.filter(pk__in=[question.pk for question in objs])
            .annotate(count=Count("answers"))
            .filter(count__gt=0)
            .order_by("code")
            .values_list("code", "count")
        )
        if answered:
            protected = [
                f"« {code} » a déjà {numbers.integer(count)} réponse(s) : elle ne peut pas être "
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
