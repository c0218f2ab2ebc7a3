from django.urls import path

from results import views

urlpatterns = [
    # The published figures: all of them in one file, and each at its own address (a matrix
    # row's figures name their row). The results pages themselves: editions/urls.py.
    path("resultats/<int:year>/chiffres.csv", views.public_figures_csv, name="results_csv"),
    path(
        "resultats/<int:year>/chiffres/<str:domain>/<str:question>/<str:option>/",
        views.public_figure,
        name="results_figure",
    ),
    path(
        "resultats/<int:year>/chiffres/<str:domain>/<str:question>/<str:row>/<str:option>/",
        views.public_figure,
        name="results_figure_row",
    ),
]
