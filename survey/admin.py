from django.contrib import admin

from survey.models import Choice, Edition, MatrixItem, Question, Section


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["position", "slug", "title"]


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["year", "title", "opens_at", "closes_at"]
    inlines = [SectionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


class MatrixItemInline(admin.TabularInline):
    model = MatrixItem
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "kind", "section", "position", "required", "is_active"]
    list_filter = ["edition", "section", "kind"]
    search_fields = ["code", "text"]
    inlines = [ChoiceInline, MatrixItemInline]
