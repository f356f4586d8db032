"""Information releases (HIPAA 45 CFR 164.508(c)) and the disclosures made under them."""

import datetime as dt

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cases.categories import Category
from cases.models import Clinic, Clinician, Patient


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the clinic's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def signed_documents_storage():
    return storages["signed_documents"]


def signed_document_path(release: "InformationRelease", filename: str) -> str:
    # The stored name carries no patient name: only ids and a timestamp.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    return f"clinic-{release.patient.clinic_id}/release-{release.pk}-{stamp}.{suffix}"


class ReleaseQuerySet(models.QuerySet):
    """Releases, and the one home of the release's direction: who discloses to whom.

    Every question "which release lets reader R read what author A wrote" (the gate's
    reads and grants, the referrals, the posting rule, the previews, the patient page)
    is built from the conditions here. ``user``/``reader``/``author`` are users, user
    ids or ``OuterRef``s, so one rule serves filters, annotations and subqueries.

    - A release is *received by* its recipient.
    - It is *disclosed by* its disclosing clinician or, for a release from a whole
      clinic, by every clinician of that clinic.
    - A reader reads an author's records *between* them under a release received by
      the reader and disclosed by the author, or a mutual release the other way round
      (a mutual exchange is between two named clinicians).
    """

    # --- conditions (Q), for filters, annotations and OR-ing --------------------------
    @staticmethod
    def q_active_at(when) -> Q:
        """In force at the instant ``when`` (ends at ``expires_at``, exclusive)."""
        return (
            (Q(expires_at__isnull=True) | Q(expires_at__gt=when))
            & Q(status=InformationRelease.Status.ACTIVE)
            & Q(effective_at__lte=when)
        )

    @staticmethod
    def q_received_by(user) -> Q:
        return Q(recipient__user=user)

    @staticmethod
    def q_disclosed_by(author) -> Q:
        # The clinic through a subquery, not a join over its clinicians: safe inside an
        # annotation or an OR (a join would repeat each release per clinician).
        # An OuterRef names the release query's outer query: one level further out here.
        inner = OuterRef(author) if isinstance(author, OuterRef) else author
        return Q(discloser_clinician__user=author) | Q(
            discloser_clinician__isnull=True,
            discloser_clinic__in=Clinician.objects.filter(user=inner).values("clinic_id"),
        )

    @classmethod
    def q_between(cls, *, reader, author) -> Q:
        """Releases under which ``reader`` reads what ``author`` writes (any scope)."""
        forward = cls.q_received_by(reader) & cls.q_disclosed_by(author)
        backward = Q(mutual=True, discloser_clinician__user=reader, recipient__user=author)
        return forward | backward

    @classmethod
    def q_readable_by(cls, reader) -> Q:
        """Releases under which ``reader`` reads anyone's records."""
        return cls.q_received_by(reader) | Q(mutual=True, discloser_clinician__user=reader)

    @classmethod
    def q_involving(cls, user) -> Q:
        """Releases ``user`` is a party to (recipient, or discloser alone or by clinic)."""
        return cls.q_received_by(user) | cls.q_disclosed_by(user)

    # --- the same as queryset methods ------------------------------------------------
    def active_at(self, when) -> "ReleaseQuerySet":
        """Releases in force at the instant ``when``."""
        return self.filter(self.q_active_at(when))

    def received_by(self, user) -> "ReleaseQuerySet":
        return self.filter(self.q_received_by(user))

    def disclosed_by(self, author) -> "ReleaseQuerySet":
        return self.filter(self.q_disclosed_by(author))

    def between(self, *, reader, author) -> "ReleaseQuerySet":
        return self.filter(self.q_between(reader=reader, author=author))

    def readable_by(self, reader) -> "ReleaseQuerySet":
        return self.filter(self.q_readable_by(reader))

    def involving(self, user) -> "ReleaseQuerySet":
        return self.filter(self.q_involving(user))

    def reader_author_pairs(self) -> list["ReleaseQuerySet"]:
        """The (reader user id, patient id, author user id) of every reader and author
        these releases are *between*, for all of them at once: one query of id rows per
        direction (to a named discloser, from a whole clinic, back under a mutual
        release), for checks that match many pairs (``gate.readable_by``)."""
        return [
            self.filter(discloser_clinician__isnull=False).values_list(
                "recipient__user", "patient", "discloser_clinician__user"
            ),
            self.filter(discloser_clinician__isnull=True).values_list(
                "recipient__user", "patient", "discloser_clinic__clinicians__user"
            ),
            self.filter(mutual=True).values_list(
                "discloser_clinician__user", "patient", "recipient__user"
            ),
        ]

    def covering(self, *categories: str) -> "ReleaseQuerySet":
        """Releases whose scope holds every one of ``categories``."""
        return self.filter(**{f"scope_{category}": True for category in categories})


class InformationRelease(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Awaiting signature"
        SIGNED = "signed", "Signed"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    class Relationship(models.TextChoices):
        SELF = "self", "The patient"
        REPRESENTATIVE = "representative", "Legal representative"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="releases")
    # Who discloses: one clinician, or every clinician of a clinic.
    discloser_clinician = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discloser_clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    mutual = models.BooleanField(
        "mutual exchange",
        default=False,
        help_text="The recipient may also disclose to the disclosing clinician.",
    )
    scope_medications = models.BooleanField("medications", default=False)
    scope_observations = models.BooleanField("observations", default=False)
    scope_assessments = models.BooleanField("assessments", default=False)
    scope_messages = models.BooleanField("messages", default=False)
    purpose = models.CharField(max_length=300)
    effective_on = models.DateField(default=timezone.localdate)
    expiration_event = models.CharField(max_length=200, blank=True)
    # The instant the release takes effect, derived from the date in the clinic's time
    # zone by the services, so the read-time check is one indexed comparison.
    effective_at = models.DateTimeField(editable=False)
    # The one instant a release ends (by date): what the gate enforces, the pages show
    # (``expires_on``, derived from it) and the sweeps use. None: it ends by its event.
    expires_at = models.DateTimeField(null=True, editable=False)

    signer_name = models.CharField(max_length=200, blank=True)
    signer_relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.SELF
    )
    representative_authority = models.CharField(
        "representative's authority", max_length=300, blank=True
    )
    signed_on = models.DateField(null=True, blank=True)
    signed_document = models.FileField(
        upload_to=signed_document_path, storage=signed_documents_storage, blank=True
    )
    document_content_type = models.CharField(max_length=100, blank=True)
    ack_right_to_revoke = models.BooleanField("right to revoke, and how, was stated", default=False)
    ack_treatment_not_conditioned = models.BooleanField(
        "treatment is not conditioned on signing was stated", default=False
    )
    ack_redisclosure = models.BooleanField("possible redisclosure was stated", default=False)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["recipient", "status", "effective_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(discloser_clinician__isnull=False, discloser_clinic__isnull=True)
                    | Q(discloser_clinician__isnull=True, discloser_clinic__isnull=False)
                ),
                name="release_one_discloser",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=False) | ~Q(expiration_event=""),
                name="release_expires_by_date_or_event",
            ),
        ]

    def __str__(self) -> str:
        return f"Release #{self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("releases:detail", args=[self.pk])

    # --- the expiry, held once in ``expires_at`` ---------------------------------
    @property
    def expires_on(self) -> dt.date | None:
        """The last day the release is in force (it ends at the start of the next day
        in the clinic's time zone): read from ``expires_at``, never stored apart."""
        if self.expires_at is None:
            return None
        return timezone.localdate(self.expires_at) - dt.timedelta(days=1)

    @expires_on.setter
    def expires_on(self, day: dt.date | None) -> None:
        self.expires_at = start_of_day(day + dt.timedelta(days=1)) if day else None

    # --- reading the scope -------------------------------------------------------
    @property
    def scope(self) -> list[str]:
        return [c for c in Category.values if getattr(self, f"scope_{c}")]

    def scope_labels(self) -> list[str]:
        return [Category(c).label for c in self.scope]

    @property
    def discloser_label(self) -> str:
        if self.discloser_clinician_id:
            return str(self.discloser_clinician)
        return f"All clinicians of {self.discloser_clinic}"

    def is_active_at(self, when=None) -> bool:
        when = when or timezone.now()
        return (
            self.status == self.Status.ACTIVE
            and self.effective_at <= when
            and (self.expires_at is None or when < self.expires_at)
        )

    @property
    def is_signed(self) -> bool:
        return bool(self.signer_name and self.signed_on and self.signed_document)

    @property
    def statements_acknowledged(self) -> bool:
        return (
            self.ack_right_to_revoke
            and self.ack_treatment_not_conditioned
            and self.ack_redisclosure
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.discloser_clinician_id) == bool(self.discloser_clinic_id):
            errors["discloser_clinician"] = "Name one discloser: a clinician or a whole clinic."
        if not self.expires_on and not self.expiration_event.strip():
            errors["expires_on"] = "Give an expiration date or an expiration event."
        if self.expires_on and self.effective_on and self.expires_on < self.effective_on:
            errors["expires_on"] = "The release cannot expire before its effective date."
        if not self.scope:
            errors["scope_observations"] = "Choose at least one kind of information to release."
        if self.mutual and not self.discloser_clinician_id:
            errors["mutual"] = "A mutual exchange is between two named clinicians."
        if self.discloser_clinician_id and self.discloser_clinician_id == self.recipient_id:
            errors["recipient"] = "The recipient must differ from the discloser."
        if (
            self.signer_relationship == self.Relationship.REPRESENTATIVE
            and not self.representative_authority.strip()
        ):
            errors["representative_authority"] = (
                "Describe the representative's authority to act for the patient."
            )
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = "The signature date cannot be in the future."
        if errors:
            raise ValidationError(errors)


class Disclosure(models.Model):
    """One shared object that reached a reader other than its author, under a release.

    Written automatically on the first read; never deleted, so revoking a release
    leaves the accounting of disclosures intact (164.508(b)(5)).
    """

    release = models.ForeignKey(
        InformationRelease, on_delete=models.PROTECT, related_name="disclosures"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    object_label = models.CharField(max_length=60)
    object_model = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField()
    disclosed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-disclosed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "object_model", "object_id", "release"],
                name="disclosure_once_per_object_recipient_release",
            )
        ]
        indexes = [models.Index(fields=["patient", "-disclosed_at"])]

    def __str__(self) -> str:
        return f"{self.object_label} disclosed {self.disclosed_at:%Y-%m-%d %H:%M}"


auditlog.register(
    InformationRelease,
    exclude_fields=["signed_document"],
)
