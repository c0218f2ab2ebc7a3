from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("desinscription/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
