from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path(
        "patients/<int:patient_pk>/give/<str:scale>/",
        views.assessment_create,
        name="create",
    ),
    path("patients/<int:patient_pk>/trend/", views.patient_trend, name="patient_trend"),
    path("not-improving/", views.not_improving, name="not_improving"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/entered-in-error/", views.assessment_entered_in_error, name="entered_in_error"),
]
