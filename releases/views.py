"""Clinic-admin pages for information releases. No clinical text is shown here."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecollab.posting import bind, run_action, run_service, submitted
from cases.access import clinic_admin_required, role_required
from cases.models import Clinician
from cases.selectors import access_patient_by_id

from . import selectors, services
from .forms import ReleaseForm, RevokeForm, SignatureForm

Role = Clinician.Role


@clinic_admin_required
@require_safe
def release_list(request):
    clinic_id = request.user.clinician.clinic_id
    state = request.GET.get("state", "")
    state = state if state in selectors.FILTERS else ""
    query = request.GET.get("q", "").strip()[:100]
    releases = selectors.releases_filtered(clinic_id, state=state, query=query)
    page = Paginator(releases, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "query": query,
        "filters": selectors.FILTERS,
        "counts": selectors.release_counts_for_clinic(clinic_id),
    }
    return render(request, "releases/release_list.html", context)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def release_create(request):
    clinic = request.user.clinician.clinic
    initial = {"patient": request.GET.get("patient")} if request.GET.get("patient") else None
    form = bind(ReleaseForm, request, clinic=clinic, initial=initial)
    if submitted(request, form) and (
        release := run_service(
            form, services.release_create, actor=request.user, **form.service_kwargs()
        )
    ):
        messages.success(request, "Release created. Print it for signature.")
        return redirect(release)
    return render(request, "releases/release_form.html", {"form": form})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def release_edit(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    clinic = request.user.clinician.clinic
    form = bind(ReleaseForm, request, clinic=clinic, initial=ReleaseForm.initial_from(release))
    if submitted(request, form) and run_service(
        form, services.release_update_draft, release=release, **form.service_kwargs()
    ):
        messages.success(request, "Release updated.")
        return redirect(release)
    return render(request, "releases/release_form.html", {"form": form, "release": release})


@clinic_admin_required
@require_safe
def release_detail(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    context = {"release": release, "revoke_form": RevokeForm()}
    return render(request, "releases/release_detail.html", context)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def release_sign(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    form = bind(SignatureForm, request)
    if submitted(request, form):
        data = dict(form.cleaned_data)
        if run_service(
            form,
            services.release_record_signature,
            release=release,
            document=data.pop("signed_document"),
            **data,
        ):
            messages.success(request, "Signature recorded. Activate the release when ready.")
            return redirect(release)
    return render(request, "releases/release_sign.html", {"form": form, "release": release})


@clinic_admin_required
@require_POST
def release_activate(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    run_action(
        request,
        services.release_activate,
        release=release,
        actor=request.user,
        success="Release activated.",
    )
    return redirect(release)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def release_revoke(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    form = bind(RevokeForm, request)
    if submitted(request, form) and run_service(
        form,
        services.release_revoke,
        release=release,
        actor=request.user,
        reason=form.cleaned_data["reason"],
    ):
        messages.success(request, "Release revoked. Access ended now.")
        return redirect(release)
    return render(request, "releases/release_revoke.html", {"form": form, "release": release})


@clinic_admin_required
@require_safe
def release_print(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    return render(request, "releases/release_print.html", {"release": release})


@clinic_admin_required
@require_safe
def release_preview(request, pk):
    release = selectors.access_release_for_admin(request.user, pk)
    rows = selectors.recipient_preview(release)
    return render(request, "releases/release_preview.html", {"release": release, "rows": rows})


@role_required(Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.THERAPIST)
@require_safe
def release_document(request, pk):
    release = selectors.access_release_document(request.user, pk)
    handle = release.signed_document.open("rb")
    response = FileResponse(
        handle,
        content_type=release.document_content_type or "application/octet-stream",
        as_attachment=True,
        filename=f"release-{release.pk}.{release.signed_document.name.rsplit('.', 1)[-1]}",
    )
    response["Cache-Control"] = "no-store"
    return response


@clinic_admin_required
@require_safe
def patient_disclosures(request, patient_pk):
    patient = access_patient_by_id(request.user, patient_pk)
    disclosures = selectors.disclosures_of_patient(patient)
    page = Paginator(disclosures, 100).get_page(request.GET.get("page"))
    return render(request, "releases/disclosure_list.html", {"patient": patient, "page": page})
