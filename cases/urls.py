from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path(
        "patients/<int:patient_pk>/observations/new/",
        views.observation_create,
        name="observation_create",
    ),
    path("observations/", views.observation_list, name="observation_list"),
    path("observations/<int:pk>/", views.observation_detail, name="observation_detail"),
    path("observations/<int:pk>/edit/", views.observation_edit, name="observation_edit"),
    path("observations/<int:pk>/reviewed/", views.observation_review, name="observation_review"),
    path(
        "observations/<int:pk>/entered-in-error/",
        views.observation_entered_in_error,
        name="observation_entered_in_error",
    ),
    path(
        "patients/<int:patient_pk>/observations/reviewed/",
        views.patient_observations_review,
        name="patient_observations_review",
    ),
]
