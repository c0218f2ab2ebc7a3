from django.urls import path

from editions import views as editions
from results import views

urlpatterns = [
    path("resultats/<int:year>/", views.public_results, name="results_public"),
    path(
        "resultats/<int:year>/methodologie/", views.public_methodology, name="results_methodology"
    ),
    path("resultats/<int:year>/evolution/", editions.public_trends, name="results_trends"),
]
