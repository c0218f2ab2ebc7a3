from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers and tools ask for /favicon.ico before reading any page: WhiteNoise serves it.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("", include("campaigns.urls")),
    path("", include("editions.urls")),
    path("", include("results.urls")),
    path("", include("poll.urls")),
    path("", include("usecases.urls")),
    path("", include("survey.urls")),
]
if settings.ANYMAIL["WEBHOOK_SECRET"]:
    from outbox import webhooks

    urlpatterns.append(path("fournisseur/", include(webhooks.urlpatterns())))
