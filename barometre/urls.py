from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Baromètre — Observatoire Data Publica"
admin.site.site_title = "Baromètre"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("survey.urls")),
]
