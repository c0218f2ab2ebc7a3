from django.contrib import admin

from survey.collectivites.models import Collectivite


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
