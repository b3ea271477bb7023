"""Contest promises of the README that had no test: covers for assigned jurors, e-mails flagged, a frozen ranking."""
import io
import json
import zipfile
from datetime import datetime

from sqlalchemy import func, select

from app.contests import service
from app.contests.models import Entry, JuryAssignment, JuryScore
from app.extensions import db
from test_contests import (  # noqa: F401 — the contest fixtures, shared
    ESSAY, clock, content, essay, image_bytes, judged, login, people, post_video, score_all, submit_essay)

TIKTOK_JUDGING = datetime(2025, 4, 5, 12, 0)


def test_an_assigned_juror_opens_the_cover_and_no_other_juror_does(content, people, client, clock):
    _students, jurors, admin = people
    login(client, "aruzhan@uni.test")
    assert post_video(client, image_bytes("PNG")).status_code == 302
    entry = db.session.execute(select(Entry)).scalar_one()
    clock.moment = TIKTOK_JUDGING
    service.assign_jury(service.contest_by_slug("tiktok-2024-2025"), admin, clock())
    assigned = {a.juror_id: a for a in db.session.execute(select(JuryAssignment)).scalars()}
    inside = next(j for j in jurors if j.id in assigned)
    outside = next(j for j in jurors if j.id not in assigned)
    login(client, inside.email)
    for size in ("cover", "thumb"):
        served = client.get(f"/contests/entries/{entry.code}/{size}.jpg")
        assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data[:2] == b"\xff\xd8", size
    login(client, outside.email)
    assert client.get(f"/contests/entries/{entry.code}/cover.jpg").status_code == 404
    login(client, inside.email)                       # a declared conflict takes the access away
    client.post(f"/jury/assignments/{assigned[inside.id].id}/conflict", data={"reason": "I know the author", "confirmed": "yes"})
    assert client.get(f"/contests/entries/{entry.code}/cover.jpg").status_code == 404


def test_an_entry_containing_the_authors_email_is_flagged_before_submitting(content, people, client, make_user):
    group = people[0]["aruzhan"].group
    make_user("zh.k2006@uni.test", name="Asel Nurova", group=group)   # the e-mail shares nothing with the name
    login(client, "zh.k2006@uni.test")
    text = ESSAY + " Questions? Write to ZH.K2006@uni.test."
    flagged = submit_essay(client, text=text)
    assert flagged.status_code == 422 and "zh.k2006@uni.test" in flagged.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert service.identity_hints(_person("zh.k2006@uni.test"), "Write to zh.k2006 soon") == ["zh.k2006@uni.test"]
    assert submit_essay(client, text=text, confirm_identity="y").status_code == 302


def _person(email):
    from app.people.models import User

    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _published_view(client):
    page = client.get("/contests/essay-2024-2025/results").get_data(as_text=True)
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/contests/essay-2024-2025/results.zip").data))
    codes = [e.code for e in db.session.execute(select(Entry)).scalars()]
    shown = sorted(codes, key=page.index)
    return shown, json.loads(bundle.read("ranking.json"))["ranking"]


def test_publication_freezes_the_ranking(judged, client):
    _students, jurors, admin, _warnings = judged
    quality = {"Essay A": 9, "Essay T": 6, "Essay D": 8, "Essay K": 4}
    for juror in jurors:
        score_all(client, juror.email, lambda entry: {k: quality[entry.title] for k in
                                                      ("argument", "evidence", "originality", "language")})
    login(client, "boss@uni.test")
    client.post("/admin/contests/essay-2024-2025/publish", data={"confirmed": "yes"})
    client.post("/logout")
    shown, ranking = _published_view(client)
    assert ranking[0]["place"] == 1 and ranking[0]["entry"] == shown[0]
    # After publication every score of the last-placed entry is raised to full marks in the database.
    last = db.session.execute(select(Entry).where(Entry.code == ranking[-1]["entry"])).scalar_one()
    for score in db.session.execute(select(JuryScore).join(JuryAssignment).where(
            JuryAssignment.entry_id == last.id)).scalars():
        score.values = {key: 10 for key in score.values}
    db.session.commit()
    assert service.preview(essay())["ranking"][0]["entry"] == last.code     # a recomputation would change it
    assert _published_view(client) == (shown, ranking)                       # the published ranking does not
    login(client, jurors[0].email)
    mine = db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id == jurors[0].id)).scalars().first()
    before = dict(mine.score.values)
    refused = client.post(f"/jury/assignments/{mine.id}", data={f"c-{k}": "0" for k in
                                                               ("argument", "evidence", "originality", "language")}
                          | {"action": "seal"})
    db.session.expire_all()
    assert refused.status_code == 422 and db.session.get(JuryAssignment, mine.id).score.values == before
    client.post("/logout")
    assert _published_view(client) == (shown, ranking)
