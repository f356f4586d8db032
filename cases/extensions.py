"""Extension points of the patient page and the home pages.

The patient page shows panels (medication list, score chart, case thread...) and one
timeline that interleaves every app's records; each app adds its part in its
``AppConfig.ready`` instead of editing this app. Providers read through the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass
class TimelineEntry:
    """One row of the patient timeline. ``obj`` is a gate-read record (or None)."""

    when: dt.date | dt.datetime
    kind: str  # css class and filter name, e.g. "observation", "medication-change"
    template: str
    obj: object = None
    flagged: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def sort_key(self) -> dt.datetime:
        when = self.when
        if isinstance(when, dt.datetime):
            # Naive local time, so datetimes and dates (end of day) sort together.
            return (
                timezone.localtime(when).replace(tzinfo=None) if timezone.is_aware(when) else when
            )
        return dt.datetime.combine(when, dt.time.max)


@dataclass
class Panel:
    """A box on a page: a template and its context."""

    template: str
    context: dict
    order: int = 50


@dataclass
class Action:
    """A link among the patient page's actions (for example "Export (FHIR)")."""

    label: str
    url: str
    order: int = 50
    download: bool = False


TimelineProvider = Callable[[object, object], Iterable[TimelineEntry]]
PanelProvider = Callable[[object, object], Panel | None]
HomePanelProvider = Callable[[object], Panel | None]
ActionProvider = Callable[[object, object], Iterable[Action]]

_timeline: list[TimelineProvider] = []
_patient_panels: list[PanelProvider] = []
_home_panels: list[HomePanelProvider] = []
_review_panels: list[HomePanelProvider] = []
_preview_panels: list[PanelProvider] = []
_patient_actions: list[ActionProvider] = []


def add_timeline(provider: TimelineProvider) -> None:
    """provider(user, patient) -> entries the user may read."""
    if provider not in _timeline:
        _timeline.append(provider)


def add_patient_panel(provider: PanelProvider) -> None:
    """provider(request, patient) -> Panel or None."""
    if provider not in _patient_panels:
        _patient_panels.append(provider)


def add_home_panel(provider: HomePanelProvider) -> None:
    """provider(request) -> Panel or None (the provider checks the role)."""
    if provider not in _home_panels:
        _home_panels.append(provider)


def add_review_panel(provider: HomePanelProvider) -> None:
    """provider(request) -> Panel or None, shown on the prescriber's review page."""
    if provider not in _review_panels:
        _review_panels.append(provider)


def add_preview_panel(provider: PanelProvider) -> None:
    """provider(request, patient) -> Panel or None: a small box beside an observation in
    the review queue's preview (current doses, latest scores). Keep it to a query or two."""
    if provider not in _preview_panels:
        _preview_panels.append(provider)


def add_patient_action(provider: ActionProvider) -> None:
    """provider(request, patient) -> the actions the user may take (any role)."""
    if provider not in _patient_actions:
        _patient_actions.append(provider)


def timeline_for(user, patient) -> list[TimelineEntry]:
    """Every provider's entries, newest first."""
    entries = [entry for provider in _timeline for entry in provider(user, patient)]
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries


def patient_panels(request, patient) -> list[Panel]:
    panels = [panel for provider in _patient_panels if (panel := provider(request, patient))]
    return sorted(panels, key=lambda panel: panel.order)


def home_panels(request) -> list[Panel]:
    panels = [panel for provider in _home_panels if (panel := provider(request))]
    return sorted(panels, key=lambda panel: panel.order)


def review_panels(request) -> list[Panel]:
    panels = [panel for provider in _review_panels if (panel := provider(request))]
    return sorted(panels, key=lambda panel: panel.order)


def preview_panels(request, patient) -> list[Panel]:
    panels = [panel for provider in _preview_panels if (panel := provider(request, patient))]
    return sorted(panels, key=lambda panel: panel.order)


def patient_actions(request, patient) -> list[Action]:
    actions = [action for provider in _patient_actions for action in provider(request, patient)]
    return sorted(actions, key=lambda action: action.order)
