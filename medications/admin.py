"""Medications, their changes and refill requests are clinical records, so they are not
in the Django admin: clinic admins and staff never read clinical text (minimum
necessary), and every change goes through ``medications.services``, which writes its
MedicationChange row.

The formulary is not clinical: a clinic admin sees the shipped entries (read-only: they
come from ``medications/data/formulary.csv`` through ``manage.py load_formulary``) and
adds, edits and retires the clinic's own entries here. Saving goes through
``formulary.formulary_entry_save``, which carries a changed schedule over to the
medications started from the entry.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q

from cases.admin import admin_clinic_id

from . import formulary
from .models import FormularyEntry


class FormularyEntryForm(forms.ModelForm):
    """Sets the clinic admin's clinic before the model validates, so a name that the
    shipped formulary has is refused on the form (``FormularyEntry.clean``)."""

    clinic_id_for_new: int | None = None

    def clean(self):
        if self.clinic_id_for_new is not None:
            self.instance.clinic_id = self.clinic_id_for_new
        return super().clean()


@admin.register(FormularyEntry)
class FormularyEntryAdmin(admin.ModelAdmin):
    form = FormularyEntryForm
    list_display = ["generic_name", "brand_names", "drug_class", "dea_schedule", "origin", "active"]
    list_filter = ["drug_class", "dea_schedule", "active"]
    search_fields = ["generic_name", "brand_names"]
    readonly_fields = ["updated_at"]

    @admin.display(description="from")
    def origin(self, entry: FormularyEntry) -> str:
        return "shipped" if entry.clinic_id is None else "this clinic"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        clinic_id = admin_clinic_id(request)
        if clinic_id is None:
            return queryset
        return queryset.filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.clinic_id_for_new = admin_clinic_id(request)
        return form

    def get_exclude(self, request, obj=None):
        # A clinic admin's entries are always their clinic's.
        return [] if request.user.is_superuser else ["clinic"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.clinic_id is None and not request.user.is_superuser:
            return False  # shipped: updated from the file only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Medications point at entries: retire one (active off) instead.
        return False

    def save_model(self, request, obj, form, change):
        clinic_id = admin_clinic_id(request)
        if clinic_id is not None:
            obj.clinic_id = clinic_id
        formulary.formulary_entry_save(entry=obj)
