from django.contrib.auth.views import LogoutView
from django.urls import path

from dashboard import administration, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignIn.as_view(), name="sign-in"),
    path("sign-in/firebase/", views.FirebaseSignIn.as_view(), name="firebase-sign-in"),
    path("sign-out/", LogoutView.as_view(next_page="dashboard:sign-in"), name="sign-out"),
    path("organisations/<id:organisation_id>/", views.organisation, name="organisation"),
    path("organisations/<id:organisation_id>/admin/", administration.Administration.as_view(), name="administration"),
]
