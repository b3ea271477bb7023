"""Jobs that make a file for whoever started them: a backup, the coverage report."""
from pathlib import Path

from flask import current_app

from app.core.backup import BackupError, create_backup
from app.jobs.models import Job
from app.jobs.service import JobError, handler


def files_folder() -> Path:
    folder = Path(current_app.config["JOB_FILES_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@handler("backup")
def make_backup(job: Job, progress) -> dict:
    """Back up the database and the uploads (the same archive as `flask backup`) into the job files."""
    progress(0, 1, force=True)
    try:
        archive = create_backup(files_folder(), Path(current_app.config["UPLOAD_FOLDER"]))
    except BackupError as error:
        raise JobError(str(error)) from error
    return {"file": archive.name, "download_name": archive.name}
