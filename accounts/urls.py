from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitation/<str:token>/", views.invitation_open, name="invitation_open"),
    path("invitation/", views.invitation_accept, name="invitation_accept"),
    path("second-factor/", views.second_factor_enrol, name="second_factor_enrol"),
    path("second-factor/codes/", views.recovery_codes, name="recovery_codes"),
    path("second-factor/verify/", views.second_factor_verify, name="second_factor_verify"),
]
