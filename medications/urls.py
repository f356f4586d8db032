from django.urls import path

from . import views

app_name = "medications"

urlpatterns = [
    path("review/", views.review, name="review"),
    path("caseload/", views.caseload, name="caseload"),
    path("refills/", views.refill_list, name="refill_list"),
    path("refills/<int:pk>/sent/", views.refill_send, name="refill_send"),
    path("refills/<int:pk>/decline/", views.refill_decline, name="refill_decline"),
    path("patients/<int:patient_pk>/history/", views.patient_history, name="patient_history"),
    path("patients/<int:patient_pk>/start/", views.medication_start, name="start"),
    path("patients/<int:patient_pk>/report/", views.medication_report, name="report"),
    path("<int:pk>/", views.medication_detail, name="detail"),
    path("<int:pk>/dose/", views.medication_dose, name="dose"),
    path("<int:pk>/switch/", views.medication_switch, name="switch"),
    path("<int:pk>/stop/", views.medication_stop, name="stop"),
    path("<int:pk>/fill/", views.medication_fill, name="fill"),
    path("<int:pk>/edit/", views.medication_edit, name="edit"),
    path("<int:pk>/refill/", views.refill_request_create, name="refill_request"),
    path("<int:pk>/plan/", views.medication_plan, name="plan"),
    path("<int:pk>/plan/cancel/", views.plan_cancel, name="plan_cancel"),
    path("steps/<int:pk>/change/", views.planned_step_change, name="step_change"),
    path("steps/<int:pk>/cancel/", views.planned_step_cancel, name="step_cancel"),
    path(
        "changes/<int:pk>/entered-in-error/",
        views.change_entered_in_error,
        name="change_entered_in_error",
    ),
]
