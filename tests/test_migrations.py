"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask --app wsgi db migrate` and commit the new revision"


def test_a_populated_database_upgrades_to_the_latest_revision(tmp_path, make_app):
    """Upgrading keeps existing rows: new columns are added in place, nothing referenced is dropped."""
    import sqlite3

    from flask_migrate import upgrade

    path = tmp_path / "old.db"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0005_coverage")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, email, full_name, active, language, session_token, created_at)"
                " VALUES (1, 'a@b.test', 'A', 1, 'en', 't', '2025-01-01 00:00:00')")
            connection.exec_driver_sql(
                "INSERT INTO courses (id, slug, title, summary, activity_code, language, position, xp_per_lesson,"
                " final_quiz, source_digest, retired, loaded_at) VALUES (1, 'c', 'C', '', '', 'en', 0, 0, '', '', 0,"
                " '2025-01-01 00:00:00')")
            connection.exec_driver_sql("INSERT INTO lessons (id, course_id, slug, position, retired) VALUES (1, 1, 'l', 1, 0)")
        upgrade()
        db.engine.dispose()
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT slug, translations FROM courses").fetchall() == [("c", "{}")]
    assert connection.execute("SELECT email, leaderboard_display FROM users").fetchall() == [("a@b.test", "name")]
    assert connection.execute("SELECT count(*) FROM lessons").fetchone() == (1,)
    assert not connection.execute("SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'").fetchall()


def test_upgrading_names_the_list_each_register_kept(tmp_path, make_app):
    """0029 writes into fed_by the list each register kept before plan files named it: 1.5 and 1.6 by their
    numbers, another register by its name; deliverables and what already names its list keep their fed_by."""
    import sqlite3

    from flask_migrate import upgrade

    path = tmp_path / "old.db"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0028_section1")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO plans (id, slug, title, university, academic_year, starts_on, ends_on, approved_by,"
                " developer, abbreviations, sections, source_digest, loaded_at) VALUES (1, 'p', 'P', 'U', '2024-2025',"
                " '2024-09-01', '2025-08-31', '', '', '{}', '{}', '', '2025-01-01 00:00:00')")
            for number, (code, name, kind, fed_by) in enumerate([
                    ("1.5", "Ensuring submission of income and expense declarations", "register", ""),
                    ("1.6", "Determining the category of equated persons", "register", ""),
                    ("2.7", "Declarations of conflicts of interest", "register", ""),
                    ("2.8", "A list of positions", "register", ""),
                    ("2.9", "Declaration of the map", "deliverable", "risk-map"),
                    ("2.10", "Declarations kept", "register", "positions")], start=1):
                connection.exec_driver_sql(
                    "INSERT INTO activities (id, plan_id, code, position, section, name, population, target_text,"
                    " form_of_completion, expected_result, responsible, term_text, retired, kind, fed_by)"
                    f" VALUES ({number}, 1, '{code}', {number}, 1, '{name}', 'employees', '', '', '', '[]', '', 0,"
                    f" '{kind}', '{fed_by}')")
        upgrade()
        db.engine.dispose()
    connection = sqlite3.connect(path)
    assert dict(connection.execute("SELECT code, fed_by FROM activities").fetchall()) == {
        "1.5": "declarations", "1.6": "positions", "2.7": "declarations", "2.8": "positions", "2.9": "risk-map",
        "2.10": "positions"}
