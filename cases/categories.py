"""The kinds of information a release can cover.

Psychotherapy notes are deliberately absent: 45 CFR 164.508(a)(2) requires a separate
authorization for them, and CareCollab never shares them (a private observation is
psychotherapy material and stays with its author).
"""

from django.db import models


class Category(models.TextChoices):
    MEDICATIONS = "medications", "Medications"
    OBSERVATIONS = "observations", "Observations"
    ASSESSMENTS = "assessments", "Assessments"
    MESSAGES = "messages", "Messages"
