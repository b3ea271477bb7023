"""Command-line interface: `flask --app wsgi <command>`."""
import logging
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from app.audit import service as audit
from app.contests.loader import load_contests
from app.courses.loader import load_courses
from app.quizzes.loader import load_quizzes
from app.surveys.loader import load_surveys
from app.brainring.loader import load_ring_sets
from app.people import service as people
from app.core.content import ContentError
from app.plan.service import load_plans


def _content_folder() -> Path:
    return Path(current_app.config["CONTENT_FOLDER"])


def load_content() -> tuple[list[str], list[ContentError]]:
    """Load every content file; return a summary and the problems of files that did not load.

    Plans load all-or-nothing (a broken plan raises ContentError); each course loads
    whole or not at all, and a broken course does not stop the others.
    """
    lines = []
    for result in load_plans(_content_folder() / "plans"):
        if result.unchanged:
            lines.append(f"plan {result.slug}: unchanged")
        else:
            lines.append(f"plan {result.slug}: {result.created} activities created, "
                         f"{result.updated} updated, {result.retired} retired")
    quiz_lines, problems = load_quizzes(_content_folder() / "quizzes")
    lines.extend(quiz_lines)
    survey_lines, survey_problems = load_surveys(_content_folder() / "quizzes")
    lines.extend(survey_lines)
    problems.extend(survey_problems)
    ring_lines, ring_problems = load_ring_sets(_content_folder() / "quizzes")
    lines.extend(ring_lines)
    problems.extend(ring_problems)
    contest_lines, contest_problems = load_contests(_content_folder() / "contests")
    lines.extend(contest_lines)
    problems.extend(contest_problems)
    courses, course_problems = load_courses(_content_folder() / "courses")
    problems.extend(course_problems)
    for result in courses:
        if result.unchanged:
            lines.append(f"course {result.slug}: unchanged")
        else:
            lines.append(f"course {result.slug}: {'created' if result.created else 'updated'}, "
                         f"{result.lessons_added} lessons added, {result.lessons_changed} changed, "
                         f"{result.lessons_retired} retired")
    return lines, problems


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
    def load_content_command():
        """Load plans and other content files into the database (safe to repeat)."""
        try:
            lines, problems = load_content()
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
    def audit_verify_command():
        """Recompute the audit chain; exit 0 only when every event verifies."""
        report = audit.verify_chain()
        if report.ok:
            click.echo(f"audit chain verifies: {report.events} events, head {report.head}")
            return
        click.echo(f"audit chain BROKEN at event {report.broken_seq}: {report.reason}", err=True)
        sys.exit(1)

    @app.cli.command("seed-scale")
    @click.option("--students", type=int, default=20000, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--verbose", is_flag=True, help="Also print the log lines of the migrations and the content load.")
    def seed_scale_command(students: int, seed: int, verbose: bool):
        """Build a national-size instance for measuring, in an empty database (bulk inserts; deterministic for a seed)."""
        import time

        from app.scale import seed_scale

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
        from app.core.backup import BackupError, create_backup

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
        from app.core.backup import BackupError, restore_backup

        try:
            manifest = restore_backup(archive, Path(current_app.config["UPLOAD_FOLDER"]))
        except BackupError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(f"restored the {manifest['database']} backup of {manifest['created_at']} "
                   f"(schema {manifest['schema_revision']})")

    @app.cli.group("api-token")
    def api_token_group():
        """Manage tokens for the JSON API."""

    @api_token_group.command("create")
    @click.argument("name")
    def api_token_create(name: str):
        """Issue a token for NAME and print it once (only its hash is stored)."""
        from app.coverage.events import issue_token

        click.echo(issue_token(name, None))

    @app.cli.command("demo")
    @click.option("--verbose", is_flag=True, help="Also print every step and the log lines it writes.")
    def demo_command(verbose: bool):
        """Create or refresh a ready-to-try instance with demo data and accounts, around today's date."""
        from app.demo import build_demo

        with _quiet(verbose):
            try:
                upgrade()
                report = build_demo()
            except ContentError as error:
                click.echo(f"error: {error}", err=True)
                sys.exit(1)
        for line in (report.steps + [""] if verbose else []) + report.summary:
            click.echo(line)
