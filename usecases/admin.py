from django.contrib import admin, messages
from django.utils.html import format_html_join

from survey.exports.csv import csv_download
from survey.questionnaire.models import Edition
from usecases.models import QUESTION_CODES, Catalogue, Review, Tag, UseCase


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ["edition", "open_before_close"]


class DomainFilter(admin.SimpleListFilter):
    title = "domaine"
    parameter_name = "domaine"
    code = "domaine"

    def lookups(self, request, model_admin):
        values = UseCase.objects.exclude(**{self.code_field(): ""}).values_list(
            self.code_field(), flat=True
        )
        sample = UseCase.objects.select_related("question").first()
        return [(value, sample.label_of(self.code, value)) for value in sorted(set(values))]

    def code_field(self):
        return "domain"

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.code_field(): self.value()})
        return queryset


class StageFilter(DomainFilter):
    title = "stade"
    parameter_name = "stade"
    code = "stade"

    def code_field(self):
        return "stage"


@admin.register(UseCase)
class UseCaseAdmin(admin.ModelAdmin):
    """The staff's review list: every project of every response, to filter, tag, validate."""

    list_display = [
        "name", "collectivite", "domain_label", "stage_label", "consent", "review", "tag_list",
    ]  # fmt: skip
    list_filter = [
        DomainFilter,
        StageFilter,
        ("response__collectivite__kind", admin.ChoicesFieldListFilter),
        "response__collectivite__region_name",
        "consent",
        "review",
        "tags",
        "response__edition",
    ]
    search_fields = ["name", "value", "response__collectivite__name"]
    filter_horizontal = ["tags"]
    fields = ["collectivite", "number", "answers", "consent", "tags", "review"]
    readonly_fields = ["collectivite", "number", "answers", "consent"]
    actions = ["validate", "withhold", "export_csv"]

    def has_add_permission(self, request):
        return False  # the projects come from the answers

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("response__collectivite", "question")
            .prefetch_related("tags")
        )

    def changelist_view(self, request, extra_context=None):
        for edition in Edition.objects.filter(questions__code__in=QUESTION_CODES).distinct():
            UseCase.objects.sync(edition)
        return super().changelist_view(request, extra_context)

    @admin.display(description="collectivité", ordering="response__collectivite__name")
    def collectivite(self, obj):
        return obj.collectivite_name

    @admin.display(description="domaine", ordering="domain")
    def domain_label(self, obj):
        return obj.label_of("domaine", obj.domain) if obj.domain else "—"

    @admin.display(description="stade", ordering="stage")
    def stage_label(self, obj):
        return obj.label_of("stade", obj.stage) if obj.stage else "—"

    @admin.display(description="étiquettes")
    def tag_list(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all()) or "—"

    @admin.display(description="réponses")
    def answers(self, obj):
        subs = obj.sub_questions()
        answered = [code for code in subs if obj.value.get(code) is not None]
        return format_html_join(
            "\n", "<p><strong>{}</strong> : {}</p>",
            ((subs[code].text, obj.words(code)) for code in answered),
        )  # fmt: skip

    def save_model(self, request, obj, form, change):
        if obj.review == Review.PUBLISHABLE:
            if not obj.consent:
                messages.error(
                    request, "Sans l'accord de la collectivité, ce projet reste hors du catalogue."
                )
                obj.review = Review.PENDING
            else:
                obj.validate_for_catalogue()
        super().save_model(request, obj, form, change)

    @admin.action(
        description="Valider pour le catalogue (projets dont la publication est acceptée)",
        permissions=["change"],
    )
    def validate(self, request, queryset):
        count = 0
        for use_case in queryset.filter(consent=True):
            use_case.validate_for_catalogue()
            use_case.save(update_fields=["review", "validated_fingerprint"])
            count += 1
        skipped = queryset.filter(consent=False).count()
        self.message_user(
            request,
            f"{count} projet(s) validé(s) pour le catalogue"
            + (f" ; {skipped} sans accord de publication, laissé(s) de côté." if skipped else "."),
        )

    @admin.action(description="Écarter du catalogue", permissions=["change"])
    def withhold(self, request, queryset):
        count = queryset.update(review=Review.WITHHELD, validated_fingerprint="")
        self.message_user(request, f"{count} projet(s) écarté(s) du catalogue.")

    @admin.action(description="Exporter les projets sélectionnés avec leurs étiquettes (CSV)")
    def export_csv(self, request, queryset):
        return csv_download("cas-usage.csv", use_case_rows(queryset))


def use_case_rows(queryset):
    """The use cases' CSV: a header, then one row per use case with its tags and answers."""
    first = queryset.select_related("question").first()
    codes = list(first.sub_questions()) if first else []
    yield ["identifiant", "numero", "collectivite", "region", "type", "relecture", "etiquettes",
           *codes]  # fmt: skip
    use_cases = queryset.select_related("response__collectivite", "question")
    for use_case in use_cases.prefetch_related("tags"):
        collectivite = use_case.response.collectivite
        yield [
            use_case.response.public_id,
            use_case.number,
            use_case.collectivite_name,
            collectivite.region_name if collectivite else "",
            collectivite.get_kind_display() if collectivite else "",
            use_case.get_review_display(),
            " | ".join(tag.name for tag in use_case.tags.all()),
            *(use_case.words(code) for code in codes),
        ]
