"""Command-line interface: `flask --app wsgi <command>`."""
import logging
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from app.audit import keys
from app.audit import service as audit
from app.authoring.service import export_content
from app.core.backup import BackupError, create_backup, restore_backup
from app.core.clock import now
from app.core.content import ContentError
from app.coverage.events import issue_token
from app.demo import build_demo
from app.demo.scale import seed_scale
from app.extensions import db
from app.jobs import service as jobs
from app.loading import check_content, lesson_images_folder, load_content
from app.people import service as people


@contextmanager
def _quiet(verbose: bool):
    """Hold back INFO log lines (migrations, services) unless asked for: they would bury the summary."""
    if not verbose:
        logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _print_report(report, what: str) -> None:
    prefix = "dry run: " if report.dry_run else ""
    click.echo(f"{prefix}{what}: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.rejected)} rejected")
    for line, reason in report.rejected:
        click.echo(f"  line {line}: {reason}")


def register_commands(app) -> None:
    @app.cli.command("load-content")
    @click.option("--check", is_flag=True,
                  help="Lint the question banks, lessons and plans (fairness, duplicates, sources, translations); load nothing.")
    @click.option("--force", is_flag=True,
                  help="Also replace items whose current version was published in the browser.")
    def load_content_command(check: bool, force: bool):
        """Load plans and other content files into the database (safe to repeat), or only check them."""
        if check:
            findings, problems = check_content()
            for problem in problems:
                click.echo(f"error: {problem}", err=True)
            for finding in findings:
                click.echo(f"problem: {finding}", err=True)
            click.echo(f"content check: {len(findings)} problems, {len(problems)} files that cannot be read")
            sys.exit(1 if findings or problems else 0)
        try:
            lines, problems = load_content(force=force)
        except ContentError as error:
            click.echo(f"error: {error}", err=True)
            click.echo("nothing was loaded", err=True)
            sys.exit(1)
        for line in lines:
            click.echo(line)
        for problem in problems:
            click.echo(f"error: {problem} (this file's course, quiz or contest was not loaded)", err=True)
        if problems:
            sys.exit(1)

    @app.cli.command("export-content")
    @click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
    def export_content_command(folder: Path):
        """Write every published course, quiz, survey, brain-ring set and contest into FOLDER as content files."""
        count = export_content(folder, Path(current_app.config["CONTENT_FOLDER"]), lesson_images_folder(),
                               Path(current_app.config["UPLOAD_FOLDER"]))
        click.echo(f"exported {count} files to {folder}")

    @app.cli.command("import-roster")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
    def import_roster_command(csv_file: Path, dry_run: bool):
        """Create or update people from a roster CSV file."""
        report = people.import_roster(csv_file.read_text(encoding="utf-8-sig"), actor=None, dry_run=dry_run)
        _print_report(report, "people")
        sys.exit(1 if report.rejected and not (report.created or report.updated or report.unchanged) else 0)

    @app.cli.command("import-headcounts")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
    def import_headcounts_command(csv_file: Path, dry_run: bool):
        """Record official headcounts of groups and staff units from a CSV file."""
        report = people.import_headcounts(csv_file.read_text(encoding="utf-8-sig"), actor=None,
                                          today=date.today(), dry_run=dry_run)
        _print_report(report, "headcounts")

    @app.cli.command("audit-verify")
    @click.option("--saved", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Also check the log against a checkpoint kept outside (a text file).")
    def audit_verify_command(saved: Path | None):
        """Recompute the audit log and check its signed checkpoints; exit 0 only when everything verifies."""
        report = audit.verify_chain()
        if not report.ok:
            where = f" at event {report.broken_seq}" if report.broken_seq else ""
            click.echo(f"audit chain BROKEN{where}: {report.reason}", err=True)
            sys.exit(1)
        click.echo(f"audit chain verifies: {report.events} events, head {report.head}")
        click.echo(f"merkle root {report.root or '-'}; {report.checkpoints} signed checkpoints match the log")
        if saved is not None:
            try:
                checkpoint = audit.check_saved_checkpoint(saved.read_text(encoding="utf-8"))
            except audit.AuditLogBroken as broken:
                click.echo(f"audit log does NOT extend {saved}: {broken.reason}", err=True)
                sys.exit(1)
            click.echo(f"the log extends the saved checkpoint of {checkpoint.size} events")

    @app.cli.command("audit-checkpoint")
    def audit_checkpoint_command():
        """Sign a checkpoint of the audit log as it stands and print it (exit 1 if the log does not verify)."""
        try:
            checkpoint = audit.take_checkpoint("command")
        except audit.AuditLogBroken as broken:
            click.echo(f"nothing signed: the audit log does not verify ({broken.reason})", err=True)
            sys.exit(1)
        db.session.commit()
        if checkpoint is None:
            click.echo("the audit log is empty: nothing to sign", err=True)
            return
        click.echo(checkpoint.note, nl=False)

    @app.cli.command("audit-key")
    def audit_key_command():
        """Print the public key that verifies the audit log's checkpoints."""
        click.echo(keys.verifier_key())

    @app.cli.command("seed-scale")
    @click.option("--students", type=int, default=20000, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--verbose", is_flag=True, help="Also print the log lines of the migrations and the content load.")
    def seed_scale_command(students: int, seed: int, verbose: bool):
        """Build a national-size instance for measuring, in an empty database (bulk inserts; deterministic for a seed)."""
        started = time.perf_counter()
        with _quiet(verbose):
            upgrade()
            lines, problems = load_content()
            if problems:
                click.echo(f"error: {problems[0]}", err=True)
                sys.exit(1)
            try:
                counts = seed_scale(students, seed)
            except RuntimeError as error:
                click.echo(f"error: {error}", err=True)
                sys.exit(1)
        for name, value in counts.items():
            click.echo(f"{name:>16}: {value}")
        click.echo(f"{'seconds':>16}: {time.perf_counter() - started:.1f}")

    @app.cli.command("backup")
    @click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
    def backup_command(folder: Path):
        """Back up the database and the uploads into FOLDER (one .tar.gz)."""
        try:
            archive = create_backup(folder, Path(current_app.config["UPLOAD_FOLDER"]))
        except BackupError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(str(archive))

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(archive: Path):
        """Restore the database and the uploads from a backup archive (replaces what is there)."""
        try:
            manifest = restore_backup(archive, Path(current_app.config["UPLOAD_FOLDER"]))
        except BackupError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(f"restored the {manifest['database']} backup of {manifest['created_at']} "
                   f"(schema {manifest['schema_revision']})")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
    def worker_command(burst: bool):
        """Run background jobs from the Redis queue (REDIS_URL) until stopped."""
        from redis import Redis
        from rq import Queue, SimpleWorker


        url = current_app.config.get("REDIS_URL")
        if not url:
            click.echo("error: REDIS_URL is not set; without Redis jobs run inside the web server", err=True)
            sys.exit(1)
        connection = Redis.from_url(url)
        queue = Queue(current_app.config.get("JOBS_QUEUE") or jobs.QUEUE_NAME, connection=connection)
        for job_id in jobs.recover_abandoned(now(), mode="rq"):
            click.echo(f"job {job_id} was left unfinished by a stopped worker: queued again")
        db.session.remove()
        # One process runs the jobs one after another inside this application (no fork per job).
        SimpleWorker([queue], connection=connection).work(burst=burst)

    @app.cli.command("tick")
    def tick_command():
        """Write the reminders and digests that are due, send what waits, and apply retention (cron or a timer runs this)."""
        mode = "rq" if jobs.jobs_mode(current_app.config) == "rq" else "inline"
        failed = False
        for kind in ("reminders", "retention"):    # retention: personal data past its period goes
            job = jobs.start(kind, started_by=None, mode=mode)
            db.session.refresh(job)
            if mode == "rq":
                click.echo(f"job {job.id} queued")
            else:
                click.echo(f"job {job.id} {job.state}: {job.result or job.error}")
                failed = failed or job.state != "done"
        if failed:
            sys.exit(1)

    @app.cli.group("api-token")
    def api_token_group():
        """Manage tokens for the JSON API."""
    @api_token_group.command("create")
    @click.argument("name")
    def api_token_create(name: str):
        """Issue a token for NAME and print it once (only its hash is stored)."""
        click.echo(issue_token(name, None))

    @app.cli.command("demo")
    @click.option("--verbose", is_flag=True, help="Also print every step and the log lines it writes.")
    def demo_command(verbose: bool):
        """Create or refresh a ready-to-try instance with demo data and accounts, around today's date."""
        with _quiet(verbose):
            try:
                upgrade()
                report = build_demo()
            except ContentError as error:
                click.echo(f"error: {error}", err=True)
                sys.exit(1)
        for line in (report.steps + [""] if verbose else []) + report.summary:
            click.echo(line)
