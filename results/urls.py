from django.urls import path

from editions import views as editions
from results import views as results

urlpatterns = [
    # An edition known only by its published table (2023) has its own pages (editions.views);
    # they hand a collected edition over to results.views.
    path("resultats/<int:year>/", editions.public_results, name="results_public"),
    path(
        "resultats/<int:year>/methodologie/",
        editions.public_methodology,
        name="results_methodology",
    ),
    path("resultats/<int:year>/evolution/", editions.public_trends, name="results_trends"),
    # The published figures: all of them in one file, and each at its own address (a matrix
    # row's figures name their row).
    path("resultats/<int:year>/chiffres.csv", results.public_figures_csv, name="results_csv"),
    path(
        "resultats/<int:year>/chiffres/<str:domain>/<str:question>/<str:option>/",
        results.public_figure,
        name="results_figure",
    ),
    path(
        "resultats/<int:year>/chiffres/<str:domain>/<str:question>/<str:row>/<str:option>/",
        results.public_figure,
        name="results_figure_row",
    ),
]
