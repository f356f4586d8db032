from django.urls import path

from . import views

app_name = "fhir"

urlpatterns = [
    path("Patient/<int:pk>/$everything", views.patient_everything, name="everything"),
    path("CodeSystem/<slug:system_id>", views.code_system, name="code_system"),
    path("patients/<int:pk>/export/", views.patient_export, name="patient_export"),
    path("patients/<int:pk>/import/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_preview, name="import_preview"),
]
