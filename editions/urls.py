from django.urls import path

from editions import views

urlpatterns = [
    # The public results of a year: an edition known only by its published table (2023) has
    # its own pages (editions.views); they hand a collected edition over to results.views.
    path("resultats/<int:year>/", views.public_results, name="results_public"),
    path(
        "resultats/<int:year>/methodologie/",
        views.public_methodology,
        name="results_methodology",
    ),
    path("resultats/<int:year>/evolution/", views.public_trends, name="results_trends"),
]
