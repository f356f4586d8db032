"""Medication lists, changes, refill requests, the review queue and the caseload.

Every page reads through the gate (``selectors``) and records what it shows; every
write is one service call. Edits of a medication are its author's (``get_own_for_user``):
the prescriber who started it, or the therapist who recorded a patient-reported one.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecollab.entered_in_error import entered_in_error_page
from carecollab.posting import bind, next_url, run_action, run_service, submitted
from cases import extensions
from cases import selectors as case_selectors
from cases.access import clinician_required, prescriber_required, therapist_required
from cases.models import Clinician
from releases import gate

from . import forms, selectors, services
from .models import Medication, MedicationChange, PlannedStep, RefillRequest

Role = Clinician.Role


def _form_page(request, form, *, title: str, submit: str, patient, medication=None, intro=""):
    context = {
        "form": form,
        "picks_medication": "formulary_entry" in form.fields,
        "title": title,
        "submit": submit,
        "patient": patient,
        "medication": medication,
        "intro": intro,
    }
    return render(request, "medications/medication_form.html", context)


def _own_medication(request, pk, *, patient_reported: bool | None = None) -> Medication:
    """A medication the signed-in user entered (404, logged, for anything else)."""
    medication = gate.get_own_for_user(request.user, Medication, pk)
    if patient_reported is not None and medication.patient_reported != patient_reported:
        raise gate.refuse(request.user, Medication, pk, reason="wrong kind of entry")
    return medication


# --- reading ------------------------------------------------------------------------


@clinician_required
@require_GET
def medication_detail(request, pk):
    medication = selectors.medication_for_user(request.user, pk)
    changes = list(selectors.changes_visible_to(request.user, medication=medication))
    refill_requests = list(
        selectors.refill_requests_visible_to(request.user).filter(medication=medication)[:20]
    )
    observations = list(
        case_selectors.observations_visible_to(request.user).filter(medications=medication)[:30]
    )
    planned = list(selectors.planned_steps_visible_to(request.user, medication=medication))
    for refill in refill_requests:
        refill.readable_medication = medication
    gate.record_reads(request.user, [*changes, *refill_requests, *observations, *planned])
    context = {
        "medication": medication,
        "patient": medication.patient,
        "changes": changes,
        "planned": planned,
        "refill_requests": refill_requests,
        "observations": observations,
        "is_author": medication.recorded_by_id == request.user.pk,
        "undoable_kinds": services.UNDOABLE_KINDS,
        "lead_days": medication.patient.clinic.controlled_refill_lead_days,
    }
    return render(request, "medications/medication_detail.html", context)


@clinician_required
@require_GET
def patient_history(request, patient_pk):
    """Every medication change of one patient the user may read: what changed when."""
    patient = case_selectors.access_patient_by_id(request.user, patient_pk)
    changes = list(selectors.changes_visible_to(request.user, patient=patient))
    selectors.medications_named_by(request.user, changes)  # read, so recorded
    return render(
        request, "medications/patient_history.html", {"patient": patient, "changes": changes}
    )


# --- prescriber -----------------------------------------------------------------------


@prescriber_required
@require_http_methods(["GET", "POST"])
def medication_start(request, patient_pk):
    patient = case_selectors.access_patient_by_id(request.user, patient_pk)
    form = bind(forms.MedicationStartForm, request, clinic_id=patient.clinic_id)
    if submitted(request, form) and run_service(
        form, services.medication_start, patient=patient, author=request.user, **form.cleaned_data
    ):
        messages.success(request, "Medication started.")
        return redirect("cases:patient_detail", patient.pk)
    return _form_page(request, form, title="Start a medication", submit="Start", patient=patient)


@prescriber_required
@require_http_methods(["GET", "POST"])
def medication_dose(request, pk):
    medication = _own_medication(request, pk, patient_reported=False)
    form = bind(forms.DoseChangeForm, request, medication=medication)
    if submitted(request, form) and run_service(
        form,
        services.medication_change_dose,
        medication=medication,
        author=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Dose changed.")
        return redirect("cases:patient_detail", medication.patient_id)
    return _form_page(
        request,
        form,
        title="Change the dose",
        submit="Change the dose",
        patient=medication.patient,
        medication=medication,
    )


@prescriber_required
@require_http_methods(["GET", "POST"])
def medication_switch(request, pk):
    medication = _own_medication(request, pk, patient_reported=False)
    form = bind(forms.SwitchForm, request, clinic_id=medication.patient.clinic_id)
    if submitted(request, form) and run_service(
        form,
        services.medication_switch,
        medication=medication,
        author=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Medication switched.")
        return redirect("cases:patient_detail", medication.patient_id)
    return _form_page(
        request,
        form,
        title="Switch to another medication",
        submit="Switch",
        patient=medication.patient,
        medication=medication,
        intro="The current medication stops on the date of the switch and the new one starts.",
    )


@prescriber_required
@require_http_methods(["GET", "POST"])
def medication_fill(request, pk):
    medication = _own_medication(request, pk, patient_reported=False)
    form = bind(forms.FillForm, request, medication=medication)
    if submitted(request, form) and run_service(
        form,
        services.medication_fill,
        medication=medication,
        author=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Fill recorded.")
        return redirect(medication)
    return _form_page(
        request,
        form,
        title="Record a fill",
        submit="Record the fill",
        patient=medication.patient,
        medication=medication,
        intro="The supply counts from this fill: refill reminders follow it.",
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def medication_stop(request, pk):
    medication = _own_medication(request, pk)
    form = bind(forms.StopForm, request)
    if submitted(request, form) and run_service(
        form,
        services.medication_stop,
        medication=medication,
        author=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Medication stopped.")
        return redirect("cases:patient_detail", medication.patient_id)
    return _form_page(
        request,
        form,
        title="Stop the medication",
        submit="Stop",
        patient=medication.patient,
        medication=medication,
        intro="Open refill requests of this medication are closed with it.",
    )


@prescriber_required
@require_http_methods(["GET", "POST"])
def medication_plan(request, pk):
    """Plan a titration or a taper: steps that take effect on their dates."""
    medication = _own_medication(request, pk, patient_reported=False)
    form = bind(forms.PlanForm, request, medication=medication)
    if submitted(request, form) and run_service(
        form,
        services.medication_plan_steps,
        medication=medication,
        author=request.user,
        steps=form.cleaned_data["steps"],
        reason=form.cleaned_data["reason"],
    ):
        messages.success(request, "Steps planned: each takes effect on its date.")
        return redirect(medication)
    planned = list(selectors.planned_steps_visible_to(request.user, medication=medication))
    gate.record_reads(request.user, planned)
    context = {"form": form, "medication": medication, "patient": medication.patient}
    return render(request, "medications/plan_form.html", {**context, "planned": planned})


def _own_step(request, pk) -> PlannedStep:
    return gate.get_own_for_user(request.user, PlannedStep, pk)


@prescriber_required
@require_http_methods(["GET", "POST"])
def planned_step_change(request, pk):
    step = _own_step(request, pk)
    initial = {name: getattr(step, name) for name in services.STEP_FIELDS}
    form = bind(forms.StepForm, request, initial=initial)
    if submitted(request, form) and run_service(
        form, services.planned_step_change, step=step, author=request.user, **form.cleaned_data
    ):
        messages.success(request, "Planned step changed.")
        return redirect("medications:detail", step.medication_id)
    return _form_page(
        request,
        form,
        title="Change a planned step",
        submit="Save the step",
        patient=step.medication.patient,
        medication=step.medication,
        intro="The plan is checked again: each step against the dose before it.",
    )


@prescriber_required
@require_POST
def planned_step_cancel(request, pk):
    step = _own_step(request, pk)
    run_action(
        request,
        services.planned_steps_cancel,
        medication=step.medication,
        author=request.user,
        step=step,
        success="Planned step cancelled.",
    )
    return redirect("medications:detail", step.medication_id)


@prescriber_required
@require_POST
def plan_cancel(request, pk):
    medication = _own_medication(request, pk, patient_reported=False)
    run_action(
        request,
        services.planned_steps_cancel,
        medication=medication,
        author=request.user,
        success="The remaining planned steps are cancelled.",
    )
    return redirect(medication)


@clinician_required
@require_http_methods(["GET", "POST"])
def change_entered_in_error(request, pk):
    change = gate.get_for_user(
        request.user,
        MedicationChange,
        pk,
        queryset=MedicationChange.objects.select_related(
            "medication__patient", "medication__prescriber", "switched_to"
        ),
    )
    if not services.may_mark_change_in_error(change, request.user):
        raise gate.refuse(request.user, MedicationChange, pk, reason="not the author")
    return entered_in_error_page(
        request,
        services.medication_change_mark_entered_in_error,
        record={"change": change},
        patient=change.medication.patient,
        what=f"{change.effective_on:%Y-%m-%d} · {selectors.change_label(change)}",
        back=reverse("medications:detail", args=[change.medication_id]),
        consequence="The dose goes back to what it was before this change.",
        success="Marked as entered in error; the dose is back as it was.",
    )


# --- therapist ------------------------------------------------------------------------


@therapist_required
@require_http_methods(["GET", "POST"])
def medication_report(request, patient_pk):
    patient = case_selectors.access_patient_by_id(request.user, patient_pk)
    form = bind(forms.ReportedMedicationForm, request, clinic_id=patient.clinic_id)
    if submitted(request, form) and run_service(
        form, services.medication_report, patient=patient, author=request.user, **form.cleaned_data
    ):
        messages.success(request, "Patient-reported medication recorded.")
        return redirect("cases:patient_detail", patient.pk)
    return _form_page(
        request,
        form,
        title="Record a medication the patient reports",
        submit="Record",
        patient=patient,
        intro="For medications prescribed outside CareCollab or bought over the counter.",
    )


@therapist_required
@require_http_methods(["GET", "POST"])
def medication_edit(request, pk):
    medication = _own_medication(request, pk, patient_reported=True)
    form = bind(
        forms.ReportedMedicationUpdateForm,
        request,
        medication=medication,
        clinic_id=medication.patient.clinic_id,
    )
    if submitted(request, form) and run_service(
        form,
        services.medication_report_update,
        medication=medication,
        author=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Medication updated.")
        return redirect(medication)
    return _form_page(
        request,
        form,
        title="Update a patient-reported medication",
        submit="Save the change",
        patient=medication.patient,
        medication=medication,
    )


@therapist_required
@require_http_methods(["GET", "POST"])
def refill_request_create(request, pk):
    medication = selectors.medication_for_user(request.user, pk)
    lead_days = medication.patient.clinic.controlled_refill_lead_days
    form = bind(forms.RefillRequestForm, request, medication=medication, lead_days=lead_days)
    if submitted(request, form) and (
        refill := run_service(
            form,
            services.refill_request_create,
            medication=medication,
            requested_by=request.user,
            **form.cleaned_data,
        )
    ):
        if refill.late:
            messages.warning(
                request,
                f"Refill requested. It gives {refill.notice_days} days' notice for a "
                f"controlled substance (the clinic asks for {lead_days}): it is marked "
                "late for the prescriber, and may be worth exploring with the patient.",
            )
        else:
            messages.success(request, "Refill requested.")
        return redirect("cases:patient_detail", medication.patient_id)
    return _form_page(
        request,
        form,
        title="Request a refill",
        submit="Request the refill",
        patient=medication.patient,
        medication=medication,
    )


# --- refill requests ------------------------------------------------------------------

REFILL_FILTERS = {"open": "Open", "sent": "Sent", "declined": "Declined", "all": "All"}


@clinician_required
@require_GET
def refill_list(request):
    status = request.GET.get("status", "open")
    if status not in REFILL_FILTERS:
        status = "open"
    requests = selectors.refill_requests_visible_to(
        request.user, status=None if status == "all" else status
    )
    requests = list(requests[:200])
    medications = selectors.attach_readable_medications(request.user, requests)
    gate.record_reads(request.user, [*requests, *medications])
    context = {"requests": requests, "status": status, "filters": REFILL_FILTERS}
    return render(request, "medications/refill_list.html", context)


@prescriber_required
@require_POST
def refill_send(request, pk):
    refill = gate.get_for_user(request.user, RefillRequest, pk)
    run_action(
        request,
        services.refill_request_send,
        refill_request=refill,
        handler=request.user,
        success="Refill marked as sent to the pharmacy.",
    )
    return redirect(next_url(request, reverse("medications:refill_list")))


@prescriber_required
@require_http_methods(["GET", "POST"])
def refill_decline(request, pk):
    refill = selectors.refill_request_for_user(request.user, pk)
    form = bind(forms.DeclineForm, request)
    if submitted(request, form) and run_service(
        form,
        services.refill_request_decline,
        refill_request=refill,
        handler=request.user,
        reason=form.cleaned_data["reason"],
    ):
        messages.success(request, "Refill request declined; the therapist sees why.")
        return redirect(next_url(request, reverse("medications:refill_list")))
    context = {"form": form, "refill": refill, "next": next_url(request, "")}
    return render(request, "medications/refill_decline.html", context)


# --- review queue and caseload -------------------------------------------------------


@clinician_required
@require_GET
def review(request):
    """Shared observations waiting for the user's review, flagged first, by patient."""
    groups, total = selectors.review_queue(request.user)
    gate.record_reads(request.user, selectors.review_records(groups))
    is_prescriber = request.user.clinician.role == Role.PRESCRIBER
    context = {
        "groups": groups,
        "total": total,
        "shown": sum(len(group.observations) for group in groups),
        "panels": extensions.review_panels(request) if is_prescriber else [],
    }
    return render(request, "medications/review.html", context)


@clinician_required
@require_GET
def caseload(request):
    """My patients, and what is due for each."""
    rows = selectors.caseload(request.user)
    return render(request, "medications/caseload.html", {"rows": rows})
