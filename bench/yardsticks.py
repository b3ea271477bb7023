"""The yardsticks, served exactly like the platform and measured in the same run as its pages.

(a) `/hello` — a bare Flask "hello";
(b) `/signed-in` — (a) + Flask-Login with the person loaded by primary key from the instance's database;
(c) `/page` — (b) + a 22 KB Jinja page with a base layout, 30 rows and 40 gettext calls;
(d) `/queries` — (c) + 6 indexed ORM queries.

The bench signs in with `/sign-in?email=…` (no password: the yardstick serves only loopback benchmarks).
"""
import os

from flask import Flask, abort, render_template, request
from flask_babel import Babel
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.heap import settle_heap

HERE = os.path.dirname(os.path.abspath(__file__))
app = Flask(__name__, template_folder=os.path.join(HERE, "templates"))
app.config.update(SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret") + "-yardstick",
                  SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
                  BABEL_TRANSLATION_DIRECTORIES=os.path.join(os.path.dirname(HERE), "app", "translations"))
db = SQLAlchemy(app)
login = LoginManager(app)
Babel(app, locale_selector=lambda: "ru")


class Person(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))

    def get_id(self):
        return str(self.id)

    is_authenticated, is_active, is_anonymous = True, True, False


class Team(db.Model):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    faculty_id: Mapped[int] = mapped_column(ForeignKey("faculties.id"))


class School(db.Model):
    __tablename__ = "faculties"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Note(db.Model):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    read_at = mapped_column(db.DateTime)


if os.environ.get("SANALY_QUERY_COUNT_HEADER"):
    from flask import g, has_request_context
    from sqlalchemy import event

    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args):
            if has_request_context():
                g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


@login.user_loader
def load_person(ident: str):
    return db.session.get(Person, int(ident))


@app.route("/hello")
def hello():
    return "hello"


@app.route("/sign-in")
def sign_in():
    if request.remote_addr != "127.0.0.1":
        abort(403)
    person = db.session.scalar(select(Person).where(Person.email == request.args["email"]))
    login_user(person)
    return "signed in"


@app.route("/signed-in")
@login_required
def signed_in():
    return f"hello {current_user.id}"


def rows() -> list[dict]:
    return [{"number": n, "name": f"Row {n}", "score": n * 3.5, "state": n % 3} for n in range(1, 31)]


@app.route("/page")
@login_required
def page():
    return render_template("yardstick.html", rows=rows(), title=_("Coverage"), facts={})


@app.route("/queries")
@login_required
def queries():
    me = current_user
    team = db.session.get(Team, me.group_id) if me.group_id else None                                  # 1
    school = db.session.get(School, team.faculty_id) if team else None                                 # 2
    unread = db.session.scalar(select(func.count()).select_from(Note).where(Note.user_id == me.id,     # 3
                                                                             Note.read_at.is_(None)))
    mates = db.session.scalars(select(Person).where(Person.group_id == me.group_id).limit(30)).all()   # 4
    teams = db.session.scalars(select(Team).where(Team.faculty_id == (team.faculty_id if team else 0))  # 5
                               .limit(30)).all()
    latest = db.session.scalars(select(Note).where(Note.user_id == me.id).order_by(Note.id.desc())     # 6
                                .limit(5)).all()
    facts = {"team": team.code if team else "", "school": school.name if school else "", "unread": unread,
             "mates": len(mates), "teams": len(teams), "latest": len(latest)}
    return render_template("yardstick.html", rows=rows(), title=_("Coverage"), facts=facts)


settle_heap()   # the garbage collector set as in the platform's workers (wsgi.py), so that both are served alike
