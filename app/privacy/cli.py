"""The retention command: `flask --app wsgi retention`, run daily by cron or a systemd timer."""
from pathlib import Path

import click
from flask import current_app

from app.core.clock import now
from app.extensions import db
from app.privacy.retention import apply_retention


def register_privacy_commands(app) -> None:
    @app.cli.command("retention")
    def retention_command():
        """Remove every kind of personal data older than its retention period and print what went."""

        removed = apply_retention(now(), Path(current_app.config["UPLOAD_FOLDER"]))
        db.session.commit()
        for kind, count in removed.items():
            click.echo(f"{kind}: {count} removed")
