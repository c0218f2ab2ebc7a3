from django.urls import path

from poll import views

app_name = "poll"
urlpatterns = [
    path("sondage/", views.arrive, name="arrive"),
    path("sondage/page/<slug:slug>/", views.page, name="page"),
    path("sondage/page/<slug:slug>/autosave/", views.autosave, name="autosave"),
    path(
        "resultats/<int:year>/citoyens-et-collectivites/",
        views.public_crossing,
        name="public_crossing",
    ),
]
