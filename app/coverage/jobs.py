"""The coverage report as a background job: every scope × activity figure, as an XLSX file."""
import secrets

from app.core.clock import today
from app.core.exports import xlsx_bytes
from app.coverage import service
from app.jobs.files import files_folder
from app.jobs.models import Job
from app.jobs.service import JobError, handler
from app.plan.service import current_plan

@handler("coverage_report")
def build_coverage_report(job: Job, progress) -> dict:
    """Compute the current plan's coverage for every scope and write it as a spreadsheet."""
    as_of = today()
    plan = current_plan(as_of)
    if plan is None:
        raise JobError("No plan covers today.")
    progress(0, 2, force=True)
    data = service.coverage(plan, as_of)
    progress(1, 2, force=True)
    table = list(service.table_rows(data))
    name = f"{secrets.token_hex(12)}.xlsx"
    (files_folder() / name).write_bytes(xlsx_bytes(service.TABLE_HEADER, table, title="Coverage"))
    return {"file": name, "download_name": f"coverage-{plan.slug}-{as_of.isoformat()}.xlsx", "rows": len(table)}
