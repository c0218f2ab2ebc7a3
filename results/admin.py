from django.contrib import admin, messages

from results.models import Frame, FrameError, FrameStratum, Publication
from results.permissions import REFREEZE_FRAME
from survey import numbers


class FrameStratumInline(admin.TabularInline):
    model = FrameStratum
    fields = ["code", "label", "collectivites", "habitants"]
    readonly_fields = fields
    collectivites = numbers.admin_column("collectivite_count", "collectivités")
    habitants = numbers.admin_column("population", "population")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Frame)
class FrameAdmin(admin.ModelAdmin):
    """A frozen frame is read, never edited; staff can refreeze it before the edition opens."""

    list_display = ["edition", "frozen_at", "collectivites", "habitants", "source"]
    fields = list_display
    readonly_fields = list_display
    collectivites = numbers.admin_column("collectivite_count", "collectivités")
    habitants = numbers.admin_column("population", "population")
    inlines = [FrameStratumInline]
    actions = ["refreeze"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Refiger depuis la liste officielle actuelle", permissions=["refreeze"]
    )
    def refreeze(self, request, queryset):
        for frame in queryset.select_related("edition"):
            try:
                Frame.freeze(frame.edition, force=True)
            except FrameError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, f"Base de sondage {frame.edition.year} refigée.", messages.SUCCESS
                )

    def has_refreeze_permission(self, request):
        return request.user.has_perms(REFREEZE_FRAME)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """The questions on the public results page; free text is refused (Publication.clean).
    The page « Choisir les questions publiées » of the results sets them all at once."""

    list_display = ["question", "edition", "published_at"]
    list_filter = ["edition"]
    fields = ["edition", "question"]
    list_select_related = ["question", "edition"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Every edition's questions are offered here: each names its edition, its section
        # and its full wording (several editions share codes such as « usage_ia »).
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "question":
            field.queryset = field.queryset.select_related("edition__survey", "section").order_by(
                "-edition__year", "edition__survey__code", "section__position", "position"
            )
            field.label_from_instance = lambda question: (
                f"{question.edition} · {question.section.title} · {question.code} — {question.text}"
            )
        return field

    def has_change_permission(self, request, obj=None):
        return False
