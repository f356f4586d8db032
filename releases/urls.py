from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path("", views.release_list, name="list"),
    path("new/", views.release_create, name="create"),
    path("<int:pk>/", views.release_detail, name="detail"),
    path("<int:pk>/edit/", views.release_edit, name="edit"),
    path("<int:pk>/sign/", views.release_sign, name="sign"),
    path("<int:pk>/activate/", views.release_activate, name="activate"),
    path("<int:pk>/revoke/", views.release_revoke, name="revoke"),
    path("<int:pk>/print/", views.release_print, name="print"),
    path("<int:pk>/preview/", views.release_preview, name="preview"),
    path("<int:pk>/document/", views.release_document, name="document"),
    path("patients/<int:patient_pk>/disclosures/", views.patient_disclosures, name="disclosures"),
]
