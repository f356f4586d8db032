"""Demo people, patients and cases. Every name here is synthetic."""

import datetime as dt

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from . import services
from .models import Case, Clinic, Clinician, Observation, Patient

DEMO_PASSWORD = "carecollab-demo"  # noqa: S105 - published demo logins, synthetic data only
CLINIC_NAME = "Riverside Collaborative Care (demo)"

USERS = [
    # username, first, last, role, credential
    ("prescriber", "Maya", "Okafor", Clinician.Role.PRESCRIBER, "MD"),
    ("therapist", "Sam", "Rivera", Clinician.Role.THERAPIST, "LCSW"),
    ("outsider", "Jordan", "Lee", Clinician.Role.THERAPIST, "PhD"),
    ("clinicadmin", "Pat", "Morgan", Clinician.Role.CLINIC_ADMIN, ""),
]

# Shared by prescriber + therapist. The key is the patient's role in the demo.
PATIENTS = [
    ("alex", "Alex", "Testwell", dt.date(1990, 4, 12), "DEMO-1001"),
    ("blair", "Blair", "Sampleton", dt.date(1985, 9, 3), "DEMO-1002"),
    ("casey", "Casey", "Example", dt.date(2001, 1, 27), "DEMO-1003"),
    ("drew", "Drew", "Placeholder", dt.date(1978, 6, 30), "DEMO-1004"),
    ("emery", "Emery", "Fictional", dt.date(1995, 11, 8), "DEMO-1005"),
    ("finley", "Finley", "Synthetic", dt.date(1969, 2, 14), "DEMO-1006"),
    ("gale", "Gale", "Imaginary", dt.date(1999, 7, 19), "DEMO-1007"),
    ("harper", "Harper", "Notreal", dt.date(1982, 12, 1), "DEMO-1008"),
]
OUTSIDER_PATIENT = ("gray", "Gray", "Mockford", dt.date(1988, 3, 5), "DEMO-2001")

CLINIC_ADMIN_PERMISSIONS = [
    ("cases", "view_clinic"),
    ("cases", "change_clinic"),
    ("cases", "add_patient"),
    ("cases", "change_patient"),
    ("cases", "view_patient"),
    ("cases", "add_case"),
    ("cases", "change_case"),
    ("cases", "view_case"),
    ("cases", "add_careteammember"),
    ("cases", "change_careteammember"),
    ("cases", "delete_careteammember"),
    ("cases", "view_careteammember"),
    ("cases", "add_clinician"),
    ("cases", "change_clinician"),
    ("cases", "view_clinician"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_user"),
    # The clinic's own formulary entries (the shipped ones are read-only to them).
    ("medications", "view_formularyentry"),
    ("medications", "add_formularyentry"),
    ("medications", "change_formularyentry"),
]


def clinic_admin_group() -> Group:
    """The group whose model permissions let clinic admins manage their clinic in the admin."""
    group, _ = Group.objects.get_or_create(name="Clinic admins")
    for app_label, codename in CLINIC_ADMIN_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return group


def _user(clinic: Clinic, username, first, last, role, credential) -> Clinician:
    existing = Clinician.objects.filter(user__username=username).select_related("user").first()
    if existing:
        return existing
    clinician = services.clinician_create(
        username=username,
        password=DEMO_PASSWORD,
        clinic=clinic,
        role=role,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.carecollab.invalid",
        credential=credential,
    )
    if role == Clinician.Role.CLINIC_ADMIN:
        clinician.user.is_staff = True
        clinician.user.save(update_fields=["is_staff"])
        clinician.user.groups.add(clinic_admin_group())
    return clinician


def _patient(clinic, given, family, born, mrn) -> Patient:
    existing = Patient.objects.filter(clinic=clinic, mrn=mrn).first()
    return existing or services.patient_create(
        clinic=clinic, given_name=given, family_name=family, date_of_birth=born, mrn=mrn
    )


def _case(patient, team, opened_on) -> Case:
    case = patient.cases.first() or services.case_open(patient=patient, opened_on=opened_on)
    for clinician in team:
        services.care_team_add(case=case, clinician=clinician, role_on_case=clinician.role)
    return case


def seed(context: dict) -> None:
    """Clinic, the four demo users, patients and their cases."""
    clinic, _ = Clinic.objects.get_or_create(name=CLINIC_NAME)
    users = {row[0]: _user(clinic, *row) for row in USERS}
    context.update(clinic=clinic, clinicians=users)
    today = timezone.localdate()
    patients = {}
    cases = {}
    for key, *row in PATIENTS:
        patients[key] = _patient(clinic, *row)
        cases[key] = _case(
            patients[key], [users["prescriber"], users["therapist"]], today - dt.timedelta(days=200)
        )
    key, *row = OUTSIDER_PATIENT
    patients[key] = _patient(clinic, *row)
    cases[key] = _case(patients[key], [users["outsider"]], today - dt.timedelta(days=90))
    context.update(patients=patients, cases=cases)
    _notes(context)


# Patients whose medication story (with linked observations) the medications step writes.
STORY_PATIENTS = ("alex", "blair", "casey", "drew", "emery")


def _notes(context: dict) -> None:
    """Observations that need no medication: a private process note for every shared
    patient, a few months of shared notes for the patients without a medication story
    (written before their release was revoked or expired, or before it is signed), and
    the outsider's note (once). The medication stories' observations are written by
    medications.demo, after the medications they are linked to."""
    therapist = context["clinicians"]["therapist"].user
    outsider = context["clinicians"]["outsider"].user
    if Observation.objects.filter(author=therapist).exists():
        return
    today = timezone.localdate()
    Adherence, Response = Observation.Adherence, Observation.Response
    for key, *_ in PATIENTS:
        services.observation_create(
            case=context["cases"][key],
            author=therapist,
            shared=False,
            observed_on=today - dt.timedelta(days=7),
            body="Synthetic private process note (psychotherapy material, never shared).",
        )
        if key in STORY_PATIENTS:
            continue
        for days_ago, response in ((120, Response.SAME), (90, Response.BETTER), (45, None)):
            services.observation_create(
                case=context["cases"][key],
                author=therapist,
                observed_on=today - dt.timedelta(days=days_ago),
                adherence=Adherence.AS_PRESCRIBED if response else Adherence.UNKNOWN,
                response=response or "",
                body="Synthetic demo note: patient reports steady mood this week.",
            )
    services.observation_create(
        case=context["cases"]["gray"],
        author=outsider,
        observed_on=today - dt.timedelta(days=3),
        adherence=Adherence.AS_PRESCRIBED,
        body="Synthetic demo note by the outsider therapist.",
    )
