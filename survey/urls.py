from django.urls import path

from survey.collection import views
from survey.collectivites import views as collectivite_views

urlpatterns = [
    path("", views.home, name="home"),
    path("confidentialite/", views.privacy, name="privacy"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("commencer/", views.start, name="start"),
    path("reprendre/", views.resume_by_email, name="resume_by_email"),
    path("reprendre/<str:token>/", views.resume, name="resume"),
    path("questionnaire/lien/", views.resume_link, name="resume_link"),
    path("questionnaire/supprimer/", views.delete_draft, name="delete_draft"),
    path("questionnaire/oublier/", views.forget_browser, name="forget_browser"),
    path("questionnaire/recapitulatif/", views.review, name="review"),
    path("questionnaire/envoye/", views.sent, name="sent"),
    path(
        "questionnaire/collectivite-prise/<str:code>/",
        views.collectivite_taken,
        name="collectivite_taken",
    ),
    path("questionnaire/<slug:slug>/", views.section, name="section"),
    path("questionnaire/<slug:slug>/autosave/", views.autosave, name="autosave"),
    path("healthz", views.healthz, name="healthz"),
    path("collectivites/recherche", collectivite_views.search_json, name="collectivite_search"),
    path("collectivites/choisir", collectivite_views.choose, name="collectivite_choose"),
    path("collectivites/<str:code>/demander-acces/", views.request_access, name="request_access"),
    path("acces/<str:token>/", views.grant_access, name="grant_access"),
]
