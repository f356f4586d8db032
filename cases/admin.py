"""Django admin for people and patients, scoped to the clinic admin's own clinic.

Clinical records (observations, medications, messages) are not in the admin at all:
clinic admins and staff never read clinical text.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied

from . import fixity, services
from .models import CareTeamMember, Case, Clinic, Clinician, Patient

User = get_user_model()


def admin_clinic_id(request) -> int | None:
    """The clinic a staff user administers; None for a superuser (sees all)."""
    if request.user.is_superuser:
        return None
    clinician = getattr(request.user, "clinician", None)
    return clinician.clinic_id if clinician else -1


class ClinicScopedAdmin(admin.ModelAdmin):
    """Lists, forms and choices limited to the clinic of the signed-in clinic admin."""

    clinic_path = "clinic"

    def get_readonly_fields(self, request, obj=None):
        # A record's way to its patient is fixed once written (cases.fixity).
        fixed = fixity.fixed_fields(self.model) if obj is not None else []
        return [*super().get_readonly_fields(request, obj), *fixed]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        clinic_id = admin_clinic_id(request)
        if clinic_id is None:
            return queryset
        return queryset.filter(**{f"{self.clinic_path}_id": clinic_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        clinic_id = admin_clinic_id(request)
        if clinic_id is not None:
            related = db_field.related_model
            if related is Clinic:
                kwargs["queryset"] = Clinic.objects.filter(pk=clinic_id)
            elif related is Patient:
                kwargs["queryset"] = Patient.objects.filter(clinic_id=clinic_id)
            elif related is Clinician:
                kwargs["queryset"] = Clinician.objects.filter(clinic_id=clinic_id)
            elif related is Case:
                kwargs["queryset"] = Case.objects.filter(patient__clinic_id=clinic_id)
            elif related is User:
                kwargs["queryset"] = User.objects.filter(clinician__clinic_id=clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_path = "id"
    list_display = [
        "name",
        "refill_lead_days",
        "controlled_refill_lead_days",
        "alert_escalation_minutes",
        "on_call_clinician",
    ]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        clinic_id = admin_clinic_id(request)
        return queryset if clinic_id is None else queryset.filter(pk=clinic_id)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Clinician)
class ClinicianAdmin(ClinicScopedAdmin):
    list_display = ["__str__", "role", "credential", "clinic"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdmin):
    list_display = ["family_name", "given_name", "date_of_birth", "mrn", "clinic"]
    search_fields = ["family_name", "given_name", "mrn"]


class CareTeamInline(admin.TabularInline):
    model = CareTeamMember
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        clinic_id = admin_clinic_id(request)
        if clinic_id is not None and db_field.related_model is Clinician:
            kwargs["queryset"] = Clinician.objects.filter(clinic_id=clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Case)
class CaseAdmin(ClinicScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ["__str__", "patient", "status", "opened_on", "closed_on"]
    list_filter = ["status"]
    inlines = [CareTeamInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # A member added here is announced like one added anywhere else.
        for member in formset.new_objects:
            if isinstance(member, CareTeamMember):
                services.care_team_announce(member=member)


class ClinicianInline(admin.StackedInline):
    model = Clinician
    can_delete = False
    fk_name = "user"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        clinic_id = admin_clinic_id(request)
        if clinic_id is not None and db_field.related_model is Clinic:
            kwargs["queryset"] = Clinic.objects.filter(pk=clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(User)


@admin.register(User)
class ClinicUserAdmin(UserAdmin):
    """Users of the admin's clinic only; deactivating ends the user's sessions.

    Nobody sets or sees a password here, not even a superuser: accounts are made by
    invitation (accounts/), where the person chooses their own password, and a
    forgotten password is reset by e-mail. So there is no add page, no password page
    and no password field."""

    def has_add_permission(self, request):
        return False

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied("Passwords are set by their owners only.")

    def get_readonly_fields(self, request, obj=None):
        # The e-mail address receives password-reset links: an admin who could change it
        # could take the account over.
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [*fields, "email"]

    inlines = [ClinicianInline]
    actions = ["deactivate_users"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        clinic_id = admin_clinic_id(request)
        if clinic_id is None:
            return queryset
        return queryset.filter(clinician__clinic_id=clinic_id, is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]})
            for name, opts in super().get_fieldsets(request, obj)
        ]
        if request.user.is_superuser:
            return fieldsets
        # A clinic admin does not grant staff, superuser or raw permissions.
        return [
            (
                name,
                {
                    **opts,
                    "fields": [
                        f
                        for f in opts["fields"]
                        if f not in ("is_superuser", "is_staff", "groups", "user_permissions")
                    ],
                },
            )
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        was_active = True
        if change:
            was_active = User.objects.filter(pk=obj.pk).values_list("is_active", flat=True).first()
        super().save_model(request, obj, form, change)
        if change and was_active and not obj.is_active:
            services.user_deactivate(user=obj)

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user)
        messages.success(request, f"{queryset.count()} user(s) deactivated.")
