from django.contrib import admin

from editions.models import NationalCount, PublishedCount, PublishedPercentage
from survey import numbers


class ReadOnlyAdmin(admin.ModelAdmin):
    """Published figures are imported (import_published_counts), never typed in."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NationalCount)
class NationalCountAdmin(ReadOnlyAdmin):
    list_display = ["edition", "stratum", "collectivites", "source"]
    list_filter = ["edition"]
    collectivites = numbers.admin_column("collectivite_count", "collectivités (N)")


@admin.register(PublishedCount)
class PublishedCountAdmin(ReadOnlyAdmin):
    list_display = ["question", "stratum", "choice_code", "cases", "answers", "size"]
    list_filter = ["question__edition", "stratum"]
    cases = numbers.admin_column("occurrences", "occurrences")
    answers = numbers.admin_column("answered", "nombre de réponses")
    size = numbers.admin_column("respondents", "effectif de la strate")
    list_select_related = ["question"]
    search_fields = ["question__code", "question__text"]


@admin.register(PublishedPercentage)
class PublishedPercentageAdmin(ReadOnlyAdmin):
    list_display = ["question", "total", "choice_code", "percentage"]
    list_filter = ["question__edition", "total"]
    list_select_related = ["question"]
