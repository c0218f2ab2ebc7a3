from django.urls import path

from usecases import views

urlpatterns = [
    path("cas-usage/", views.latest_catalogue, name="use_case_catalogue_latest"),
    path("cas-usage/<int:year>/", views.catalogue, name="use_case_catalogue"),
]
