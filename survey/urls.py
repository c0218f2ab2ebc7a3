from django.urls import path

from survey import collectivite_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("collectivites/recherche", collectivite_views.search_json, name="collectivite_search"),
    path("collectivites/choisir", collectivite_views.choose, name="collectivite_choose"),
]
