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
