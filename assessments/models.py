"""Rating-scale assessments (PHQ-9, GAD-7, ...): the answers, the score and its band.

The scale itself is data (``assessments/scales.py``); a row stores the scale's code and
the answers, and the service computes the total, the band and the safety flag from
them, so a stored score never disagrees with its answers.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from cases.fixity import FixedOnceWritten
from cases.models import ENTERED_IN_ERROR_TEXT_FIELDS, Case, EnteredInError

from . import scales


class Assessment(EnteredInError, FixedOnceWritten):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    # The scale's code in scales.SCALE_DATA; not a choices field, so a new scale needs
    # no migration.
    scale = models.CharField(max_length=20)
    # One answer value per item, in the scale's item order.
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=40)
    safety_flag = models.BooleanField(
        default=False,
        help_text="A safety item (PHQ-9 item 9) was answered above 'Not at all'.",
    )
    given_on = models.DateField(default=timezone.localdate)
    # Who gave the scale (the author for the release gate).
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments_given"
    )
    shared = models.BooleanField(
        default=True,
        help_text="Shared scores can reach the other clinician under an active release.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-given_on", "-created_at"]
        indexes = [
            models.Index(fields=["case", "scale", "given_on"]),
            models.Index(fields=["administered_by", "-created_at"]),
        ]

    def __str__(self) -> str:
        # No score: this string reaches logs, the audit trail and disclosures.
        return f"Assessment #{self.pk} ({self.scale}) of {self.given_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:detail", args=[self.pk])

    @property
    def scale_def(self) -> scales.Scale:
        return scales.get_scale(self.scale)

    @property
    def band_key(self) -> str:
        return self.band.lower().replace(" ", "-")

    def answered_items(self) -> list[tuple[int, str, int, str, bool]]:
        """(number, item text, value, answer label, is a safety item) per item."""
        scale = self.scale_def
        return [
            (
                number,
                text,
                value,
                scale.option_label(value),
                number in scale.safety_items,
            )
            for number, (text, value) in enumerate(zip(scale.items, self.answers, strict=True), 1)
        ]

    def clean(self) -> None:
        try:
            scale = scales.get_scale(self.scale)
        except LookupError:
            raise ValidationError({"scale": "Choose a scale CareCollab knows."}) from None
        if self.given_on and self.given_on > timezone.localdate():
            raise ValidationError({"given_on": "An assessment cannot be dated in the future."})
        answers = self.answers if isinstance(self.answers, list) else None
        if (
            answers is None
            or len(answers) != len(scale.items)
            or any(value not in scale.option_values for value in answers)
        ):
            raise ValidationError({"answers": f"Give one answer to each {scale.name} item."})
        total = sum(answers)
        if self.total != total or self.band != scale.band_for(total).label:
            raise ValidationError("The total and band must follow from the answers.")


class AssessmentUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which assessment (kept by releases.gate)."""

    content_object = models.ForeignKey(Assessment, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


# Scores are clinical content: the change log records that they changed, by whom and
# when, without becoming a second copy of them.
auditlog.register(
    Assessment,
    mask_fields=["answers", "total", "band", "safety_flag", *ENTERED_IN_ERROR_TEXT_FIELDS],
    mask_callable="releases.audit.redact",
)
