"""Treat-to-target arithmetic: baselines, response, remission and "not improving".

Pure functions over plain values (anything with ``given_on`` and ``total``; changes with
``effective_on``), so the selectors, the chart and the tests share one definition.

Definitions (the clinic's rules, written once):

- **Treatment change**: a medication change of kind start, dose increase, dose
  decrease, switch or stop (fills and detail updates are not treatment changes).
- **Baseline** of a scale for a change: the last score of that scale given on or before
  the change's effective date and at most ``BASELINE_WINDOW_DAYS`` (28) days before it.
  A score given on the day of the change counts (it is taken at the visit where the
  change is decided). No such score: no baseline, and the change is not judged.
- **Follow-up**: the latest score of the scale given after the change's effective date.
- **Response**: the follow-up is at most half the baseline (a drop of 50% or more).
  **Remission**: the follow-up is below the scale's remission threshold (5 for the
  PHQ-9 and the GAD-7).
- **Not improving** ("consider a change"): the patient's most recent treatment change
  took effect 8 to 12 weeks ago (56 to 84 days, both included), and for at least one
  scale there is a baseline at or above the remission threshold and a follow-up that
  is neither a response nor a remission. Only the most recent change is judged: a later
  change starts a new clock, since the earlier one's effect can no longer be told apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .scales import Scale

TREATMENT_KINDS = ("start", "increase", "decrease", "switch", "stop")
BASELINE_WINDOW_DAYS = 28
REVIEW_FROM_DAYS = 56  # 8 weeks
REVIEW_TO_DAYS = 84  # 12 weeks


def baseline_for(scores: Sequence[Any], change_on: dt.date) -> Any | None:
    """The last score on or before ``change_on``, within the baseline window.

    ``scores`` are in the order they were given (oldest first)."""
    earliest = change_on - dt.timedelta(days=BASELINE_WINDOW_DAYS)
    candidates = [score for score in scores if earliest <= score.given_on <= change_on]
    return candidates[-1] if candidates else None


def follow_up_for(scores: Sequence[Any], change_on: dt.date, today: dt.date) -> Any | None:
    """The latest score given after ``change_on`` (and not after ``today``)."""
    after = [score for score in scores if change_on < score.given_on <= today]
    return after[-1] if after else None


def in_review_window(change_on: dt.date, today: dt.date) -> bool:
    """Whether ``today`` is 8 to 12 weeks (56..84 days, inclusive) after ``change_on``."""
    return REVIEW_FROM_DAYS <= (today - change_on).days <= REVIEW_TO_DAYS


def weeks_since(change_on: dt.date, today: dt.date) -> int:
    return (today - change_on).days // 7


@dataclass(frozen=True)
class Outcome:
    """How one scale moved since a treatment change."""

    scale: Scale
    baseline: Any
    follow_up: Any

    @property
    def drop_percent(self) -> int:
        """The drop from baseline in percent (negative when the score rose)."""
        if not self.baseline.total:
            return 0
        return round(100 * (self.baseline.total - self.follow_up.total) / self.baseline.total)

    @property
    def rise_percent(self) -> int:
        return -self.drop_percent

    @property
    def is_response(self) -> bool:
        return self.scale.is_response(self.baseline.total, self.follow_up.total)

    @property
    def is_remission(self) -> bool:
        return self.scale.is_remission(self.follow_up.total)

    @property
    def is_not_improving(self) -> bool:
        return (
            not self.scale.is_remission(self.baseline.total)
            and not self.is_response
            and not self.is_remission
        )


def outcome_for(
    scale: Scale, scores: Sequence[Any], change_on: dt.date, today: dt.date
) -> Outcome | None:
    """Baseline and follow-up of one scale around a change, or None when either is missing."""
    baseline = baseline_for(scores, change_on)
    follow_up = follow_up_for(scores, change_on, today)
    if baseline is None or follow_up is None:
        return None
    return Outcome(scale=scale, baseline=baseline, follow_up=follow_up)
