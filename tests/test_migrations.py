"""The Alembic migrations build exactly the schema the models describe."""
import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def upgraded_from(revision: str, rows: list[str], tmp_path, make_app) -> sqlite3.Connection:
    """A SQLite database built up to `revision`, given `rows` (INSERT statements), then upgraded to the latest."""
    from flask_migrate import upgrade

    path = tmp_path / "old.db"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision=revision)
        with db.engine.begin() as connection:
            for row in rows:
                connection.exec_driver_sql(row)
        upgrade()
        db.engine.dispose()
    return sqlite3.connect(path)


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask --app wsgi db migrate` and commit the new revision"


def test_a_populated_database_upgrades_to_the_latest_revision(tmp_path, make_app):
    """Upgrading keeps existing rows: new columns are added in place, nothing referenced is dropped."""
    connection = upgraded_from("0005_coverage", [
        "INSERT INTO users (id, email, full_name, active, language, session_token, created_at)"
        " VALUES (1, 'a@b.test', 'A', 1, 'en', 't', '2025-01-01 00:00:00')",
        "INSERT INTO courses (id, slug, title, summary, activity_code, language, position, xp_per_lesson,"
        " final_quiz, source_digest, retired, loaded_at) VALUES (1, 'c', 'C', '', '', 'en', 0, 0, '', '', 0,"
        " '2025-01-01 00:00:00')",
        "INSERT INTO lessons (id, course_id, slug, position, retired) VALUES (1, 1, 'l', 1, 0)"], tmp_path, make_app)
    assert connection.execute("SELECT slug, translations FROM courses").fetchall() == [("c", "{}")]
    assert connection.execute("SELECT email, leaderboard_display FROM users").fetchall() == [("a@b.test", "name")]
    assert connection.execute("SELECT count(*) FROM lessons").fetchone() == (1,)
    assert not connection.execute("SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'").fetchall()


def test_upgrading_names_the_list_each_register_kept(tmp_path, make_app):
    """0029 writes into fed_by the list each register kept before plan files named it: 1.5 and 1.6 by their
    numbers, another register by its name; deliverables and what already names its list keep their fed_by."""
    plan = ("INSERT INTO plans (id, slug, title, university, academic_year, starts_on, ends_on, approved_by,"
            " developer, abbreviations, sections, source_digest, loaded_at) VALUES (1, 'p', 'P', 'U', '2024-2025',"
            " '2024-09-01', '2025-08-31', '', '', '{}', '{}', '', '2025-01-01 00:00:00')")
    activities = [
        "INSERT INTO activities (id, plan_id, code, position, section, name, population, target_text,"
        " form_of_completion, expected_result, responsible, term_text, retired, kind, fed_by)"
        f" VALUES ({number}, 1, '{code}', {number}, 1, '{name}', 'employees', '', '', '', '[]', '', 0,"
        f" '{kind}', '{fed_by}')"
        for number, (code, name, kind, fed_by) in enumerate([
            ("1.5", "Ensuring submission of income and expense declarations", "register", ""),
            ("1.6", "Determining the category of equated persons", "register", ""),
            ("2.7", "Declarations of conflicts of interest", "register", ""),
            ("2.8", "A list of positions", "register", ""),
            ("2.9", "Declaration of the map", "deliverable", "risk-map"),
            ("2.10", "Declarations kept", "register", "positions")], start=1)]
    connection = upgraded_from("0028_section1", [plan, *activities], tmp_path, make_app)
    assert dict(connection.execute("SELECT code, fed_by FROM activities").fetchall()) == {
        "1.5": "declarations", "1.6": "positions", "2.7": "declarations", "2.8": "positions", "2.9": "risk-map",
        "2.10": "positions"}
