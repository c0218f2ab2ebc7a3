from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("campaigns.urls")),
    path("", include("survey.urls")),
]
if settings.ANYMAIL["WEBHOOK_SECRET"]:
    urlpatterns.append(path("fournisseur/", include("anymail.urls")))
