from django.urls import path

from editions import views as editions

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
]
