from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from carecollab import views as carecollab_views
from cases import views as case_views

urlpatterns = [
    path("", case_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
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
