from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_pk>/observations/new/", views.note_create, name="note_create"),
    path("observations/", views.note_list, name="note_list"),
    path("observations/<int:pk>/", views.note_detail, name="note_detail"),
    path("observations/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("observations/<int:pk>/reviewed/", views.note_review, name="note_review"),
    path(
        "patients/<int:patient_pk>/observations/reviewed/",
        views.patient_notes_review,
        name="patient_notes_review",
    ),
]
