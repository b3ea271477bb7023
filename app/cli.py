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
from app.extensions import db
from app.contests.loader import load_contests
from app.courses.loader import load_courses
from app.quizzes.loader import load_quizzes
from app.surveys.loader import load_surveys
from app.brainring.loader import load_ring_sets
from app.people import service as people
from app.core import lint
from app.core.content import ContentError, content_files, is_translation_file
from app.courses.loader import read_course
from app.quizzes.loader import read_quiz
from app.brainring.loader import read_ring_set
from app.plan.service import load_plans, read_plan


def _content_folder() -> Path:
    return Path(current_app.config["CONTENT_FOLDER"])


def lesson_images_folder() -> Path:
    """Where lesson pictures are kept (re-encoded), under the upload folder."""
    from app.core.uploads import LESSON_IMAGE_FOLDER

    return Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER


def load_content(*, force: bool = False, root: Path | None = None) -> tuple[list[str], list[ContentError]]:
    """Load every content file; return a summary and the problems of files that did not load.

    Plans load all-or-nothing (a broken plan raises ContentError); each course loads
    whole or not at all, and a broken course does not stop the others. An item whose current
    version came from the browser is reported and left alone unless `force`.
    """
    from app.authoring.service import FileDoor

    root = root or _content_folder()
    guard = FileDoor(force=force, root=root, images=lesson_images_folder())
    lines = []
    for result in load_plans(root / "plans"):
        if result.unchanged:
            lines.append(f"plan {result.slug}: unchanged")
        else:
            lines.append(f"plan {result.slug}: {result.created} activities created, "
                         f"{result.updated} updated, {result.retired} retired")
    quiz_lines, problems = load_quizzes(root / "quizzes", guard)
    lines.extend(quiz_lines)
    survey_lines, survey_problems = load_surveys(root / "quizzes", guard)
    lines.extend(survey_lines)
    problems.extend(survey_problems)
    ring_lines, ring_problems = load_ring_sets(root / "quizzes", guard)
    lines.extend(ring_lines)
    problems.extend(ring_problems)
    contest_lines, contest_problems = load_contests(root / "contests", guard)
    lines.extend(contest_lines)
    problems.extend(contest_problems)
    courses, course_problems = load_courses(root / "courses", guard)
    problems.extend(course_problems)
    for result in courses:
        if result.held:
            lines.append(f"course {result.slug}: {result.held}")
        elif result.unchanged:
            lines.append(f"course {result.slug}: unchanged")
        else:
            lines.append(f"course {result.slug}: {'created' if result.created else 'updated'}, "
                         f"{result.lessons_added} lessons added, {result.lessons_changed} changed, "
                         f"{result.lessons_retired} retired")
    return lines, problems


def _bank_words(questions: list[dict], top: dict, language: str | None) -> int:
    """Count the words of a bank's texts in the original (language None) or in one translation."""
    texts = list(top.values())
    for question in questions:
        source = question if language is None else question.get("translations", {}).get(language, {})
        for name in lint.TRANSLATED_FIELDS:
            value = source.get(name)
            texts.extend([value] if isinstance(value, str) else [t for item in value or [] for t in
                                                                   (item if isinstance(item, list) else [item])])
    return sum(lint.word_count(text) for text in texts if isinstance(text, str))


def _check_bank(where: str, spec: dict, single_answers: list[dict]) -> list[lint.Finding]:
    """Run the bank rules on one quiz or brain ring set: option lengths in each language, translations."""
    findings = []
    for language in (None, *lint.LANGUAGES):
        items = []
        for question in single_answers:
            options = question["options"] if language is None else (
                question.get("translations", {}).get(language, {}).get("options"))
            if options:
                items.append((options, question["answer"]))
        label = where if language is None else f"{where} ({lint.LANGUAGE_NAMES[language]})"
        findings += lint.option_length_bias(label, items)
    top_fields = {"title": spec["title"], "description": spec.get("description", "")}
    findings += lint.missing_translations(where, spec.get("translations", {}), top_fields, spec["questions"])
    original = _bank_words(spec["questions"], top_fields, None)
    for language, top in spec.get("translations", {}).items():
        findings += lint.short_translation(where, language, original, _bank_words(spec["questions"], top, language))
    return findings


def _check_plans(folder: Path, problems: list) -> list[lint.Finding]:
    """Read every plan with its translations and report the texts left untranslated."""
    findings = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        if is_translation_file(path):
            continue
        try:
            spec = read_plan(path)
        except ContentError as error:
            problems.append(error)
            continue
        original = {"title": spec.title, "university": spec.university, "approved_by": spec.approved_by,
                    "sections": spec.sections}
        activities = [(a.code, {"name": a.name, "target_text": a.target_text,
                                "form_of_completion": a.form_of_completion, "expected_result": a.expected_result,
                                "responsible": a.responsible, "term_text": a.term_text}, a.translations)
                      for a in spec.activities]
        findings += lint.missing_plan_translations(f"plans/{path.name}", original, activities, spec.translations)
    return findings


def check_content(root: Path | None = None) -> tuple[list[lint.Finding], list[ContentError]]:
    """Read every question bank, lesson and plan (writing nothing) and run the linter's rules on them.

    Returns the findings and the files that could not be read at all. What a bank counts for is
    its plan activity, else the course that names it as its final quiz (its activity, else the
    course itself): banks of different purposes must not share items.
    """
    root = root or _content_folder()
    findings, problems, banks, lessons = [], [], [], []
    courses = []
    for folder in sorted((root / "courses").iterdir()) if (root / "courses").is_dir() else []:
        if folder.is_dir():
            try:
                courses.append(read_course(folder))
            except ContentError as error:
                problems.append(error)
    final_of = {course.final_quiz: course for course in courses if course.final_quiz}
    for path in content_files(root / "quizzes", skip=("survey", "brainring")):
        try:
            spec = read_quiz(path)
        except ContentError as error:
            problems.append(error)
            continue
        where, course = f"quizzes/{path.name}", final_of.get(path.stem)
        purpose = spec["activity_code"] or (course and (course.activity_code or f"the course {course.slug}")) or where
        purpose = f"plan activity {purpose}" if purpose and purpose[0].isdigit() else purpose
        banks.append((where, purpose, spec["questions"]))
        findings += _check_bank(where, spec, [q for q in spec["questions"] if q["type"] == "single"])
        findings += lint.fresh_retakes(where, spec)
    for path in content_files(root / "quizzes", only="brainring"):
        try:
            spec = read_ring_set(path)
        except ContentError as error:
            problems.append(error)
            continue
        where = f"quizzes/{path.name}"
        code = spec["activity_code"]
        banks.append((where, f"plan activity {code}" if code else where, spec["questions"]))
        findings += _check_bank(where, spec, spec["questions"])
    findings += lint.duplicate_items(banks)
    findings += _check_plans(root / "plans", problems)
    for course in courses:
        for lesson in course.lessons:
            where = f"courses/{course.slug}/{lesson.number:02d}-{lesson.slug}.md"
            lessons.append(where)
            findings += lint.lesson_words(where, lesson.markdown)
            findings += lint.missing_lesson_translations(where, set(lesson.translations))
            original = lint.word_count(lesson.markdown)
            for language, markdown in [(None, lesson.markdown)] + [
                    (language, text["markdown"]) for language, text in sorted(lesson.translations.items())]:
                version = where if language is None else where[:-3] + f".{language}.md"
                findings += lint.lesson_sections(version, markdown)
                findings += lint.footnote_sources(version, markdown)
                findings += lint.draft_markers(version, markdown)
                if language:
                    findings += lint.short_translation(version, language, original, lint.word_count(markdown))
    return findings, problems


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
        from app.authoring.service import export_content

        count = export_content(folder, _content_folder(), lesson_images_folder())
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
        from app.audit import keys

        click.echo(keys.verifier_key())

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

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
    def worker_command(burst: bool):
        """Run background jobs from the Redis queue (REDIS_URL) until stopped."""
        from redis import Redis
        from rq import Queue, SimpleWorker

        from app.core.clock import now
        from app.jobs import service as jobs

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
        """Write the reminders and digests that are due and send what waits (cron or a timer runs this)."""
        from app.jobs import service as jobs

        mode = "rq" if jobs.jobs_mode(current_app.config) == "rq" else "inline"
        job = jobs.start("reminders", started_by=None, mode=mode)
        db.session.refresh(job)
        if mode == "rq":
            click.echo(f"job {job.id} queued")
        else:
            click.echo(f"job {job.id} {job.state}: {job.result or job.error}")
            if job.state != "done":
                sys.exit(1)

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
