"""Command-line interface: `flask --app wsgi <command>`."""
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from app.audit import service as audit
from app.extensions import db
from app.people import service as people
from app.plan.service import ContentError, load_plans


def _content_folder() -> Path:
    return Path(current_app.config["CONTENT_FOLDER"])


def load_content() -> list[str]:
    """Load every content file (plans; courses, quizzes and contests as they land); return a summary."""
    lines = []
    for result in load_plans(_content_folder() / "plans"):
        if result.unchanged:
            lines.append(f"plan {result.slug}: unchanged")
        else:
            lines.append(f"plan {result.slug}: {result.created} activities created, "
                         f"{result.updated} updated, {result.retired} retired")
    return lines


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
            for line in load_content():
                click.echo(line)
        except ContentError as error:
            click.echo(f"error: {error}", err=True)
            click.echo("nothing was loaded", err=True)
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

    @app.cli.command("demo")
    def demo_command():
        """Create or refresh a ready-to-try instance with demo data and accounts."""
        from app.demo import build_demo

        upgrade()
        try:
            summary = build_demo()
        except ContentError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        for line in summary:
            click.echo(line)
