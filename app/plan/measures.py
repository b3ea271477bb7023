"""How an activity that is not counted in people is measured: figures that features lend the plan.

Coverage counts distinct people for *reach* activities. A hearing of divisions (*units*) or a
maintained list (*register*) is measured by the feature that keeps it; such a feature registers a
provider here for its kind (`@provides(UNITS)`), and coverage, the plan's pages and the reports ask
`measures_for(activities, as_of)` without importing the feature. A provider answers with a
`Measure` per activity it knows; an activity without one is shown by its kind alone.

When a provider's figures change, the feature announces `events.plan_measure_changed` so that
cached pages are dropped.
"""
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from app.plan.models import KINDS, Activity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Measure:
    """One activity's figure in its own terms: `done` of `total` (divisions heard, declarations submitted)."""

    done: int
    total: int
    text: str                          # the figure in the reader's language, e.g. "3 of 8 divisions heard (target 50%)"
    target_percent: float | None = None
    met: bool | None = None            # None when there is nothing to meet (a list with no required count)
    link: str = ""                     # the page that keeps the figure, for the ACS
    late: int = 0                      # parts past their due date and not done (a deliverable's overdue periods)
    begun: int = 0                     # parts under way, not yet done (a deliverable's periods in progress or submitted)

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None


Provider = Callable[[list[Activity], date], dict[int, Measure]]
_providers: dict[str, list[Provider]] = {}


def provides(kind: str):
    """Register a function that measures activities of `kind`: f(activities, as_of) -> {activity_id: Measure}."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")

    def register(function: Provider) -> Provider:
        if function not in _providers.setdefault(kind, []):
            _providers[kind].append(function)
        return function
    return register


def measures_for(activities: Iterable[Activity], as_of: date) -> dict[int, Measure]:
    """Every measure the providers give for these activities on `as_of`, by activity id."""
    by_kind: dict[str, list[Activity]] = {}
    for activity in activities:
        if activity.kind in _providers:
            by_kind.setdefault(activity.kind, []).append(activity)
    found: dict[int, Measure] = {}
    for kind, chosen in by_kind.items():
        for provider in _providers[kind]:
            found.update(provider(chosen, as_of))
    return found
