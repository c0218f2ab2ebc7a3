from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from barometre.models import EnrolmentLink
from survey.links import absolute_url

User = get_user_model()


@admin.action(
    permissions=["issue_enrolment_links"],
    description="Créer un lien d'inscription à la double authentification",
)
def issue_enrolment_links(modeladmin, request, queryset):
    """Superusers give each selected staff member a one-time link to set up their app."""
    links = []
    for user in queryset.filter(is_staff=True, is_active=True):
        link, token = EnrolmentLink.issue(user, by=request.user)
        path = reverse("admin:two_factor_enrolment_link", args=[token])
        links.append((user, absolute_url(path)))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Liens d'inscription à la double authentification",
        "links": links,
        "expires_at": link.expires_at if links else None,
    }
    page = TemplateResponse(request, "admin/enrolment_links.html", context)
    add_never_cache_headers(page)
    page["Referrer-Policy"] = "same-origin"
    return page


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    actions = [issue_enrolment_links]

    def has_issue_enrolment_links_permission(self, request):
        return request.user.is_superuser


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(admin.ModelAdmin):
    """Who was given a link, when, by whom; deleting a link revokes it."""

    list_display = ["user", "created_at", "expires_at", "used_at", "created_by"]
    list_select_related = ["user", "created_by"]
    fields = list_display
    readonly_fields = list_display

    @admin.display(description="expire le")
    def expires_at(self, link):
        return link.expires_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
