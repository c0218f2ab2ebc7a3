from django.urls import path

from results import views

urlpatterns = [
    path("resultats/<int:year>/", views.public_results, name="results_public"),
    path(
        "resultats/<int:year>/methodologie/", views.public_methodology, name="results_methodology"
    ),
]
