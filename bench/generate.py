"""Generate a synthetic clinic group at a chosen scale.

Rows are written with the project's models in bulk (``bulk_create``: the services' one
row at a time would take hours at 100,000 observations), then the guardian grants are
built by the gate itself (``gate.grants_sync_for_patient``), exactly as release
activation builds them. Every name is synthetic.

One prescriber (``bench-prescriber``) and one therapist (``bench-therapist``) are the
measured users: all their patients hold active mutual releases, so the gated pages and
their ungated twins return the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cases.models import (
    CareTeamMember,
    Case,
    Clinic,
    Clinician,
    Observation,
    ObservationReview,
    Patient,
)
from medications.models import Medication, MedicationChange, RefillRequest
from releases import gate
from releases.models import InformationRelease
from releases.services import start_of_day

User = get_user_model()
Role = Clinician.Role
PASSWORD = "bench-password-not-secret"  # noqa: S105 - synthetic bench users


@dataclass(frozen=True)
class Scale:
    patients: int
    observations: int
    medications: int

    @property
    def clinics(self) -> int:
        return max(1, self.patients // 250)


DEFAULT = Scale(patients=2000, observations=100_000, medications=20_000)
SMALL = Scale(patients=60, observations=1_500, medications=300)

DRUGS = [
    ("sertraline", "50 mg", ""),
    ("escitalopram", "10 mg", ""),
    ("bupropion XL", "150 mg", ""),
    ("quetiapine", "25 mg", ""),
    ("lamotrigine", "100 mg", ""),
    ("lithium carbonate", "300 mg", ""),
    ("methylphenidate ER", "36 mg", "II"),
    ("lorazepam", "0.5 mg", "IV"),
    ("clonazepam", "0.5 mg", "IV"),
    ("buprenorphine", "8 mg", "III"),
]
ADHERENCE = ["as_prescribed"] * 6 + ["missed_doses", "stopped", "unknown"]
RESPONSE = ["", "much_better", "better", "same", "same", "worse", "much_worse"]


def _batched(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@transaction.atomic
def generate(scale: Scale, *, seed: int = 7, progress=print) -> dict:
    """Fill the (empty) database; returns who and what to measure."""
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    password = make_password(PASSWORD)

    # --- clinics and people --------------------------------------------------------
    clinics = Clinic.objects.bulk_create(
        Clinic(name=f"Bench Clinic {n + 1}") for n in range(scale.clinics)
    )
    per_clinic = scale.patients // len(clinics)
    users, profiles = [], []
    for index, clinic in enumerate(clinics):
        staff = [(Role.CLINIC_ADMIN, 1), (Role.PRESCRIBER, max(2, per_clinic // 50))]
        staff.append((Role.THERAPIST, max(3, per_clinic // 25)))
        for role, count in staff:
            for n in range(count):
                if index == 0 and n == 0 and role != Role.CLINIC_ADMIN:
                    username = f"bench-{role}"
                else:
                    username = f"c{index}-{role}-{n}"
                users.append(User(username=username, password=password, last_name=username))
                profiles.append((clinic, role))
    users = User.objects.bulk_create(users)
    clinicians = Clinician.objects.bulk_create(
        Clinician(user=user, clinic=clinic, role=role, credential="MD")
        for user, (clinic, role) in zip(users, profiles, strict=True)
    )
    by_clinic: dict[int, dict[str, list[Clinician]]] = {}
    for clinician in clinicians:
        by_clinic.setdefault(clinician.clinic_id, {}).setdefault(clinician.role, []).append(
            clinician
        )
    progress(f"  {len(clinics)} clinics, {len(clinicians)} clinicians")

    # --- patients, cases, care teams -------------------------------------------------
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinics[n % len(clinics)],
            given_name=f"Given{n}",
            family_name=f"Benchpatient{n}",
            date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)),
            mrn=f"B{n:06d}",
        )
        for n in range(scale.patients)
    )
    cases = Case.objects.bulk_create(
        Case(patient=patient, opened_on=today - dt.timedelta(days=730)) for patient in patients
    )
    team = {}  # patient id -> (prescriber, therapist)
    members = []
    for n, (patient, case) in enumerate(zip(patients, cases, strict=True)):
        staff = by_clinic[patient.clinic_id]
        prescriber = staff[Role.PRESCRIBER][n % len(staff[Role.PRESCRIBER])]
        therapist = staff[Role.THERAPIST][n % len(staff[Role.THERAPIST])]
        team[patient.pk] = (prescriber, therapist)
        members += [
            CareTeamMember(case=case, clinician=prescriber, role_on_case="prescriber"),
            CareTeamMember(case=case, clinician=therapist, role_on_case="therapist"),
        ]
    CareTeamMember.objects.bulk_create(members)
    case_of = {case.patient_id: case for case in cases}
    progress(f"  {len(patients)} patients with cases and care teams")

    # --- releases in every state ---------------------------------------------------
    measured = {by_clinic[clinics[0].pk][r][0].pk for r in (Role.PRESCRIBER, Role.THERAPIST)}
    states = ["active"] * 14 + ["draft", "signed", "revoked", "expired", "lapsed", "future"]
    releases = []
    for patient in patients:
        prescriber, therapist = team[patient.pk]
        state = "active" if {prescriber.pk, therapist.pk} & measured else rng.choice(states)
        effective = today - dt.timedelta(days=rng.randrange(60, 700))
        expires = today + dt.timedelta(days=rng.randrange(10, 400))
        status = state
        if state == "lapsed":
            status, expires = "active", today - dt.timedelta(days=3)
        elif state == "future":
            status, effective = "active", today + dt.timedelta(days=5)
        elif state == "expired":
            expires = today - dt.timedelta(days=rng.randrange(1, 100))
        releases.append(
            InformationRelease(
                patient=patient,
                discloser_clinician=therapist,
                recipient=prescriber,
                mutual=True,
                scope_medications=True,
                scope_observations=True,
                scope_assessments=True,
                scope_messages=True,
                purpose="Coordination of medication therapy",
                effective_on=effective,
                effective_at=start_of_day(effective),
                expires_at=start_of_day(expires + dt.timedelta(days=1)),
                signer_name="Synthetic Signer",
                signed_on=min(effective, today) if status != "draft" else None,
                signed_document="" if status == "draft" else "bench/synthetic.pdf",
                ack_right_to_revoke=True,
                ack_treatment_not_conditioned=True,
                ack_redisclosure=True,
                status=status,
                created_by=users[0],
                activated_at=now if status == "active" else None,
                revocation_reason="Synthetic" if status == "revoked" else "",
            )
        )
    InformationRelease.objects.bulk_create(releases)
    progress(f"  {len(releases)} releases (draft, signed, active, lapsed, revoked, expired)")

    # --- observations ----------------------------------------------------------------
    observations = []
    for n in range(scale.observations):
        patient = patients[n % len(patients)]
        prescriber, therapist = team[patient.pk]
        author = prescriber if rng.random() < 0.1 else therapist
        observed = today - dt.timedelta(days=rng.randrange(0, 720))
        observations.append(
            Observation(
                case=case_of[patient.pk],
                author_id=author.user_id,
                shared=rng.random() < 0.85,
                observed_on=observed,
                adherence=rng.choice(ADHERENCE),
                response=rng.choice(RESPONSE),
                side_effects="Synthetic: dry mouth" if rng.random() < 0.1 else "",
                question="Synthetic question?" if rng.random() < 0.05 else "",
                body="Synthetic observation text for the benchmark.",
                created_at=start_of_day(observed),
                updated_at=start_of_day(observed),
            )
        )
    created = []
    for batch in _batched(observations):
        created += Observation.objects.bulk_create(batch)
    # Most older observations have been reviewed by the prescriber already.
    reviews = [
        ObservationReview(
            observation=observation,
            reviewer_id=team[observation.case.patient_id][0].user_id,
            observation_updated_at=observation.updated_at,
        )
        for observation in created
        if observation.shared
        and observation.author_id == team[observation.case.patient_id][1].user_id
        and observation.observed_on < today - dt.timedelta(days=30)
    ]
    for batch in _batched(reviews):
        ObservationReview.objects.bulk_create(batch)
    progress(f"  {len(created)} observations, {len(reviews)} already reviewed")

    # --- medications, their changes, refill requests --------------------------------
    meds = []
    for n in range(scale.medications):
        patient = patients[n % len(patients)]
        prescriber, _ = team[patient.pk]
        name, strength, schedule = DRUGS[n % len(DRUGS)]
        start = today - dt.timedelta(days=rng.randrange(30, 700))
        stopped = rng.random() < 0.2
        meds.append(
            Medication(
                patient=patient,
                name=name,
                strength=strength,
                directions="1 tablet daily",
                frequency="once daily",
                start_date=start,
                stop_date=start + dt.timedelta(days=20) if stopped else None,
                prescriber=prescriber,
                recorded_by_id=prescriber.user_id,
                controlled_schedule=schedule,
                quantity=30,
                days_supply=30,
                last_fill_date=today - dt.timedelta(days=rng.randrange(0, 40)),
                refills_left=rng.randrange(0, 4),
                status="stopped" if stopped else "active",
            )
        )
    medications = []
    for batch in _batched(meds):
        medications += Medication.objects.bulk_create(batch)
    changes, requests = [], []
    for med in medications:
        author = med.recorded_by_id
        changes.append(
            MedicationChange(
                medication=med,
                kind="start",
                effective_on=med.start_date,
                to_value=med.strength,
                author_id=author,
            )
        )
        for k in range(rng.randrange(0, 4)):
            changes.append(
                MedicationChange(
                    medication=med,
                    kind=rng.choice(["increase", "decrease", "fill"]),
                    effective_on=med.start_date + dt.timedelta(days=30 * (k + 1)),
                    from_value=med.strength,
                    to_value=med.strength,
                    author_id=author,
                )
            )
        if med.status == "stopped":
            changes.append(
                MedicationChange(
                    medication=med, kind="stop", effective_on=med.stop_date, author_id=author
                )
            )
        elif rng.random() < 0.05:
            _, therapist = team[med.patient_id]
            requests.append(
                RefillRequest(
                    medication=med,
                    requested_by_id=therapist.user_id,
                    needed_by=today + dt.timedelta(days=rng.randrange(1, 15)),
                    late=bool(med.controlled_schedule) and rng.random() < 0.5,
                )
            )
    for batch in _batched(changes):
        MedicationChange.objects.bulk_create(batch)
    RefillRequest.objects.bulk_create(requests)
    progress(f"  {len(medications)} medications, {len(changes)} changes, {len(requests)} refills")

    # --- the guardian index, built by the gate ---------------------------------------
    granted = gate.grants_rebuild([patient.pk for patient in patients])
    progress(f"  {granted} grants built by the gate")

    prescriber = by_clinic[clinics[0].pk][Role.PRESCRIBER][0]
    therapist = by_clinic[clinics[0].pk][Role.THERAPIST][0]
    admin = by_clinic[clinics[0].pk][Role.CLINIC_ADMIN][0]
    patient = next(p for p in patients if team[p.pk][0].pk == prescriber.pk)
    return {
        "prescriber": prescriber.user_id,
        "therapist": therapist.user_id,
        "clinic_admin": admin.user_id,
        "patient": patient.pk,
    }
