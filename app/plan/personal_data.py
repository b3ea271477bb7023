"""The plan's personal data: participation rows, which the coverage figures count; deliverables and evidence."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding, rows_of
from app.extensions import db
from app.plan.deliverable_models import Deliverable, Evidence, UnitReporter
from app.plan.models import Activity, Participation, Plan

HOLDINGS = (
    Holding("participations", ("user_id",), _l("That a person took part in a plan activity, when and how"),
            _l("Coverage of the anti-corruption plan against its targets"), FOR_FIGURES, ("self", "admin", "curator")),
    Holding("unit_reporters", ("user_id",), _l("Being named by the ACS to report for a responsible unit"),
            _l("Showing each unit's reporters what their unit owes"), WHILE_ACCOUNT, ("self", "admin")),
    Holding("deliverables", ("person_id",), _l("Being the responsible person for a deliverable of the plan"),
            _l("Tracking the plan's deliverables"), FOR_FIGURES, ("self", "admin")),
    Holding("evidence", ("added_by_id",), _l("Evidence a person added to a deliverable or an event: files, photos, "
                                              "links and short texts"),
            _l("Showing that the plan's deliverables and events were done"), FOR_FIGURES, ("self", "admin")),
    Holding("plans", ("closed_by_id",), _l("Which ACS officer closed a plan year, and when"),
            _l("Knowing who froze a year's figures"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's participation in plan activities and the plan years they closed."""
    rows = db.session.execute(
        select(Participation, Activity.code).join(Activity, Activity.id == Participation.activity_id)
        .where(Participation.user_id == user_id).order_by(Participation.occurred_at)).all()
    closed = db.session.execute(select(Plan.slug, Plan.closed_at).where(Plan.closed_by_id == user_id)
                                .order_by(Plan.closed_at)).all()
    return {"participation": [{"activity": code, "occurred_at": row.occurred_at.isoformat(), "source": row.source,
                               "source_ref": row.source_ref} for row, code in rows],
            "reports_for_units": rows_of(select(UnitReporter).where(UnitReporter.user_id == user_id)),
            "responsible_for_deliverables": rows_of(select(Deliverable).where(Deliverable.person_id == user_id)
                                                    .order_by(Deliverable.id)),
            "evidence_added": rows_of(select(Evidence).where(Evidence.added_by_id == user_id).order_by(Evidence.id),
                                      exclude=("stored_name", "thumb_name")),
            "plans_closed": [{"plan": slug, "closed_at": at.isoformat()} for slug, at in closed]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep every participation row: past coverage counts the pseudonymous person exactly as before.

    The deliverables and the evidence are the university's records of its plan: they stay, without the person.
    """
    db.session.execute(delete(UnitReporter).where(UnitReporter.user_id == user_id))
    db.session.execute(update(Deliverable).where(Deliverable.person_id == user_id).values(person_id=None))
    db.session.execute(update(Evidence).where(Evidence.added_by_id == user_id).values(added_by_id=None))
