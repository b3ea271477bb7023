"""Backups: the database (SQLite's online backup API, or pg_dump on PostgreSQL) and the uploads, in one archive."""
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text


from app.extensions import db


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _dump_database(target: Path) -> str:
    """Write the database to `target` anew, so that no page or row keeps the order rows arrived in.

    SQLite: VACUUM INTO copies every table in key order with no free pages (a page-by-page copy
    would carry the order of insertion and whatever deleted rows left on free pages). PostgreSQL:
    a bare CLUSTER first rewrites the tables marked CLUSTER ON their random keys (the survey's),
    since pg_dump writes rows in physical order.
    """
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        with db.engine.connect() as connection:
            connection.connection.driver_connection.execute("VACUUM INTO ?", (str(target),))
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("CLUSTER")
        result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), _libpq_url(url)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return "postgresql"
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def create_backup(folder: Path, upload_folder: Path) -> Path:
    """Write sanaly-<time>.tar.gz into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    archive = folder / f"sanaly-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / "database"
        kind = _dump_database(dump)
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        manifest = {"created_at": stamp, "database": kind, "schema_revision": revision,
                    "database_sha256": hashlib.sha256(dump.read_bytes()).hexdigest()}
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(dump, arcname="database")
            if upload_folder.is_dir():
                tar.add(upload_folder, arcname="uploads")
            data = json.dumps(manifest, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def restore_backup(archive: Path, upload_folder: Path) -> dict:
    """Put the database and the uploads back as they were in `archive`; return its manifest."""
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError):
        raise BackupError(f"{archive} is not a backup archive") from None
    with tempfile.TemporaryDirectory() as work, tar:
        tar.extractall(work, filter="data")
        root = Path(work)
        try:
            manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BackupError("the archive has no readable manifest.json") from None
        dump = root / "database"
        if hashlib.sha256(dump.read_bytes()).hexdigest() != manifest["database_sha256"]:
            raise BackupError("the database in the archive does not match its checksum")
        backend = db.engine.url.get_backend_name()
        if manifest["database"] != backend:
            raise BackupError(f"the archive holds a {manifest['database']} database, this instance uses {backend}")
        db.session.remove()
        if backend == "sqlite":
            source = sqlite3.connect(dump)
            with db.engine.connect() as connection:
                target = connection.connection.driver_connection
                source.backup(target)
            source.close()
        else:
            result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                     "--dbname", _libpq_url(db.engine.url), str(dump)], capture_output=True, text=True)
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        db.engine.dispose()
        if (root / "uploads").is_dir():
            if upload_folder.exists():
                for child in upload_folder.iterdir():
                    if child.name == ".gitkeep":
                        continue
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            shutil.copytree(root / "uploads", upload_folder, dirs_exist_ok=True)
    return manifest


