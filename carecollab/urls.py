from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import include, path

from carecollab import views as carecollab_views
from cases import views as case_views

urlpatterns = [
    path("", case_views.home, name="home"),
    # Sign-in runs outside the request's transaction: checking a password is the costliest
    # step of any request (PBKDF2), and on the embedded SQLite an open transaction holds
    # the one write lock, so every other request would wait for it. Its writes (session,
    # lock-out record, last login) each commit on their own.
    path(
        "accounts/login/",
        transaction.non_atomic_requests(auth_views.LoginView.as_view()),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("releases/", include("releases.urls")),
    path("medications/", include("medications.urls")),
    path("referrals/", include("referrals.urls")),
    path("messaging/", include("messaging.urls")),
    path("notifications/", include("notifications.urls")),
    path("assessments/", include("assessments.urls")),
    path("alerts/", include("alerts.urls")),
    path("fhir/", include("fhir_exchange.urls")),
    path("bench/reference/", carecollab_views.bench_reference, name="bench_reference"),
    path("admin/", admin.site.urls),
]

handler400 = "carecollab.views.bad_request"
handler403 = "carecollab.views.forbidden"
handler404 = "carecollab.views.not_found"
