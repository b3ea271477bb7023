"""Brain ring: the scoring formula, one timely answer per question and one per team, no right answer before
the close, joining by POST, rejoining, solo names as chosen for leaderboards, screens that render without
JavaScript, participation once, sets in the host's and players' languages, monthly games that do not repeat a
question, and a game of 150 players against a live server."""
import asyncio
import random
import re
import shutil
import threading
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.brainring import service
from app.brainring.loader import read_ring_set
from app.brainring.models import Game, RingAnswer, RingSet
from app.core.content import ContentError
from app.extensions import db
from app.gamification.models import XpEvent
from app.people.models import User
from app.people.passwords import hash_password
from app.plan.models import Activity, Participation
from tests.conftest import PASSWORD, _empty_tables, base_config, csrf_token_from, run_together

T0 = datetime(2024, 10, 9, 10, 0, 0)     # a day of the 2024-2025 plan's year
SETS = Path(__file__).resolve().parent.parent / "quizzes"


@pytest.fixture
def ring(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    clock = {"now": T0}
    app.config["NOW_FUNCTION"] = lambda: clock["now"]
    host = make_user("host@uni.test", roles=("curator", "staff"))
    ring_set = db.session.execute(select(RingSet).where(RingSet.slug == "brain-ring-anticorruption")).scalar_one()
    game = service.open_game(host, ring_set, "", T0)
    group = make_group()
    players = [make_user(f"p{i}@uni.test", group=group, name=f"Player {i}") for i in range(4)]
    return {"host": host, "game": game, "players": players, "clock": clock}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize("correct, taken, limit, points", [
    (True, 0, 20, 1000), (True, 5, 20, 875), (True, 10, 20, 750), (True, 3.2, 20, 920), (True, 20, 20, 500),
    (True, 27, 20, 500), (True, -1, 20, 1000), (True, 15, 30, 750), (False, 1, 20, 0),
])
def test_the_scoring_formula_against_hand_computed_figures(correct, taken, limit, points):
    assert service.points_for(correct, taken, limit) == points


def test_a_second_answer_and_a_late_answer_are_refused(ring):
    game, host, (ann, bob, *_rest) = ring["game"], ring["host"], ring["players"]
    ann_player, bob_player = service.join(game, ann, T0), service.join(game, bob, T0)
    service.next_question(game, host, at(0))
    right, limit = game.questions[0]["answer"], game.questions[0]["seconds"]
    first = service.answer(game, ann_player, 0, right, at(limit / 4))
    assert first.points == 875                                # a quarter of the time costs an eighth of the points
    with pytest.raises(service.RingError, match="already answered"):
        service.answer(game, ann_player, 0, (right + 1) % 4, at(limit / 4 + 1))
    with pytest.raises(service.RingError, match="Too late"):
        service.answer(game, bob_player, 0, right, at(limit + 1))
    late = db.session.execute(select(RingAnswer).where(RingAnswer.player_id == bob_player.id)).scalar_one()
    assert late.late and late.points == 0                     # kept in the log, worth nothing
    service.reveal(game, host, at(limit + 2))
    with pytest.raises(service.RingError):
        service.answer(game, bob_player, 1, 0, at(limit + 3))  # not the open question


def test_no_response_to_a_player_carries_the_right_answer_before_the_close(ring, client, auth):
    game, host = ring["game"], ring["host"]
    auth.login("p0@uni.test")
    client.post(f"/ring/{game.code}/join")
    service.next_question(game, host, at(0))
    question = game.questions[0]
    right_text = question["options"][question["answer"]]
    ring["clock"]["now"] = at(2)
    bodies = [client.get(f"/ring/{game.code}").get_data(as_text=True),
              client.get(f"/ring/{game.code}/pad").get_data(as_text=True),
              client.post(f"/ring/{game.code}/answer", data={"question": 0, "option": 0},
                          headers={"X-Requested-With": "fetch"}).get_data(as_text=True),
              client.get(f"/ring/{game.code}/pad").get_data(as_text=True)]
    for body in bodies:
        assert str(escape(right_text)) not in body and "Right answer" not in body and str(escape(question["text"])) not in body
    assert service.pad_state(game, service.player_of(game, ring["players"][0].id), at(3)).correct is None
    service.reveal(game, host, at(20))
    ring["clock"]["now"] = at(21)
    assert "Right answer" in client.get(f"/ring/{game.code}/pad").get_data(as_text=True)


def test_reconnecting_resumes_the_player(ring, client, auth, app):
    game, host = ring["game"], ring["host"]
    auth.login("p1@uni.test")
    client.post(f"/ring/{game.code}/join")
    client.post(f"/ring/{game.code}/team", data={"team": "Clean Hands"})
    service.next_question(game, host, at(0))
    ring["clock"]["now"] = at(4)
    client.post(f"/ring/{game.code}/answer", data={"question": 0, "option": 2})
    phone = app.test_client()                                  # the same student on a new phone
    phone.post("/login", data={"email": "p1@uni.test", "password": PASSWORD})
    page = phone.get(f"/ring/{game.code}").get_data(as_text=True)
    assert "Your answer: C" in page and "Clean Hands" in page
    assert db.session.scalar(select(func.count()).select_from(service.Player).where(service.Player.game_id == game.id)) == 1


def test_a_team_scores_its_first_answer_and_teams_and_solo_players_are_ranked_together(ring):
    game, host, (ann, bob, cem, dan) = ring["game"], ring["host"], ring["players"]
    players = {p.id: service.join(game, p, T0) for p in (ann, bob, cem, dan)}
    service.choose_team(game, players[ann.id], "Clean Hands")
    service.choose_team(game, players[bob.id], "Clean Hands")
    # question 1: ann answers right at 2 s for the team; question 2: bob answers wrong at 3 s first
    for index, (first, first_right, second) in enumerate([(ann, True, bob), (bob, False, ann)]):
        service.next_question(game, host, at(100 * index))
        right = game.questions[index]["answer"]
        service.answer(game, players[first.id], index, right if first_right else (right + 1) % 4, at(100 * index + 2 + index))
        with pytest.raises(service.RingError, match="Your team has already answered"):
            service.answer(game, players[second.id], index, right, at(100 * index + 8))
        service.answer(game, players[cem.id], index, right, at(100 * index + 10))
        service.reveal(game, host, at(100 * index + 20))
    table = service.standings(game)
    team = next(s for s in table if s.name == "Clean Hands")
    limits = [question["seconds"] for question in game.questions[:2]]      # a set's questions differ in length
    assert team.points == service.points_for(True, 2, limits[0]) + 0 and team.players == 2   # first answers, summed
    assert next(s for s in table if s.name == "Player 2").points == sum(service.points_for(True, 10, limit)
                                                                         for limit in limits)
    assert [(s.name, s.place) for s in table] == [("Player 2", 1), ("Clean Hands", 2), ("Player 3", 3)]
    assert table[-1].points == 0                                      # dan joined, never answered


def test_a_team_of_four_tapping_a_b_c_and_d_scores_only_its_first_answer(ring):
    game, host, members = ring["game"], ring["host"], ring["players"]
    tappers = [service.join(game, person, T0) for person in members]
    for player in tappers:
        service.choose_team(game, player, "Tappers")
    expected = 0
    for index, question in enumerate(game.questions):
        service.next_question(game, host, at(100 * index))
        for option, player in enumerate(tappers):                    # A first, then B, C and D
            if option == 0:
                service.answer(game, player, index, option, at(100 * index + 1))
            else:
                with pytest.raises(service.RingError, match="Your team has already answered"):
                    service.answer(game, player, index, option, at(100 * index + 1 + option))
        expected += service.points_for(question["answer"] == 0, 1, question["seconds"])
        service.reveal(game, host, at(100 * index + 40))
    (team,) = service.standings(game)
    assert team.points == expected                                    # what one guess of A scores, no more
    # Had every tap counted, one of the four would have been right on every question. (Not "under half the
    # maximum": ten questions drawn from a set whose answers are spread evenly put A right on six now and then.)
    every_tap_counted = sum(service.points_for(True, 1 + question["answer"], question["seconds"])
                            for question in game.questions)
    assert team.points < every_tap_counted
    assert db.session.scalar(select(func.count()).select_from(RingAnswer).where(
        RingAnswer.game_id == game.id)) == len(game.questions)        # one answer a question for the team


def test_four_teammates_tapping_at_the_same_moment_leave_one_answer(ring, app):
    game, host, members = ring["game"], ring["host"], ring["players"]
    for person in members:
        service.choose_team(game, service.join(game, person, T0), "Tappers")
    service.next_question(game, host, at(0))
    game_id = game.id

    def tap(ready, user_id, option):
        game = db.session.get(Game, game_id)
        player = service.player_of(game, user_id)
        ready()
        try:
            service.answer(game, player, 0, option, at(1))
        except service.RingError as error:
            return str(error)
        return "saved"

    outcomes = run_together(app, tap, [(person.id, option) for option, person in enumerate(members)])
    assert sorted(outcomes) == ["Your team has already answered this question."] * 3 + ["saved"]
    assert db.session.scalar(select(func.count()).select_from(RingAnswer).where(RingAnswer.game_id == game_id)) == 1


def test_teammates_pads_show_the_team_answer_and_offer_no_buttons(ring, client, auth):
    game, host, (ann, bob, *_rest) = ring["game"], ring["host"], ring["players"]
    for person in (ann, bob):
        service.choose_team(game, service.join(game, person, T0), "Clean Hands")
    service.next_question(game, host, at(0))
    service.answer(game, service.player_of(game, ann.id), 0, 1, at(2))
    ring["clock"]["now"] = at(3)
    auth.login("p1@uni.test")
    pad = client.get(f"/ring/{game.code}/pad").get_data(as_text=True)
    assert "Your team answered: B" in pad and 'class="pad ' not in pad
    refused = client.post(f"/ring/{game.code}/answer", data={"question": 0, "option": 2},
                          headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 409 and "Your team has already answered" in refused.get_json()["message"]


def test_joining_is_a_post_with_the_form_token_never_a_get(ring, make_app):
    game = ring["game"]
    app = make_app(WTF_CSRF_ENABLED=True)
    app.config["NOW_FUNCTION"] = lambda: T0
    phone = app.test_client()
    phone.post("/login", data={"email": "p0@uni.test", "password": PASSWORD,
                               "csrf_token": csrf_token_from(phone.get("/login").get_data(as_text=True))})
    page = phone.get(f"/ring/{game.code}")
    assert page.status_code == 200 and f'action="/ring/{game.code}/join"' in page.get_data(as_text=True)
    assert phone.post(f"/ring/{game.code}/join").status_code == 400             # no token: refused
    assert service.player_of(game, ring["players"][0].id) is None              # a GET (a link, a preview) never joins
    joined = phone.post(f"/ring/{game.code}/join", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert joined.status_code == 302 and joined.location.endswith(f"/ring/{game.code}")
    assert service.player_of(game, ring["players"][0].id) is not None
    assert "You are in!" in phone.get(f"/ring/{game.code}").get_data(as_text=True)


def test_the_start_page_joins_by_code_with_a_post(ring, client, auth):
    game = ring["game"]
    auth.login("p2@uni.test")
    response = client.post("/ring/", data={"code": game.code.lower()})
    assert response.status_code == 302 and response.location.endswith(f"/ring/{game.code}")
    assert service.player_of(game, ring["players"][2].id) is not None


def test_solo_players_appear_on_the_projector_and_results_as_they_chose_for_leaderboards(ring, client, auth):
    game, host, (ann, bob, cem, _dan) = ring["game"], ring["host"], ring["players"]
    for person, name, shown in [(ann, "Aigerim Sultanova", "name"), (bob, "Bolat Nurlanov", "initials"),
                                (cem, "Saule Kassymova", "hidden")]:
        person.full_name, person.leaderboard_display = name, shown
        service.join(game, person, T0)
    db.session.commit()
    service.next_question(game, host, at(0))
    for person in (ann, bob, cem):
        service.answer(game, service.player_of(game, person.id), 0, game.questions[0]["answer"], at(2))
    service.reveal(game, host, at(20))
    ring["clock"]["now"] = at(21)
    auth.login("host@uni.test")
    projector = client.get(f"/ring/{game.code}/host").get_data(as_text=True)
    service.close(game, host, at(30))
    results = client.get(f"/ring/{game.code}/results").get_data(as_text=True)
    for page in (projector, results):
        assert "Aigerim Sultanova" in page
        assert "B. N." in page and "Bolat Nurlanov" not in page
        assert "Anonymous player" in page and "Saule" not in page and "Kassymova" not in page


def test_the_first_load_of_the_projector_and_the_pad_is_markup_and_answers_work_without_javascript(ring, client, auth):
    game, host = ring["game"], ring["host"]
    auth.login("p0@uni.test")
    client.post(f"/ring/{game.code}/join")
    service.next_question(game, host, at(0))
    ring["clock"]["now"] = at(2)
    pad = client.get(f"/ring/{game.code}").get_data(as_text=True)
    assert '<div class="ring-pad"' in pad and "&lt;" not in pad
    assert pad.count('<button class="pad opt-') == 4
    sent = client.post(f"/ring/{game.code}/answer", data={"question": 0, "option": 1})   # a plain form, no script
    assert sent.status_code == 302
    assert "Your answer: B" in client.get(sent.location).get_data(as_text=True)
    auth.logout()
    auth.login("host@uni.test")
    projector = client.get(f"/ring/{game.code}/host").get_data(as_text=True)
    assert '<div class="ring-board"' in projector and "&lt;" not in projector
    assert str(escape(game.questions[0]["text"])) in projector


def test_closing_writes_participation_and_xp_once_for_those_who_answered(ring):
    game, host, (ann, bob, *_rest) = ring["game"], ring["host"], ring["players"]
    ann_player = service.join(game, ann, T0)
    service.join(game, bob, T0)
    service.next_question(game, host, at(0))
    service.answer(game, ann_player, 0, 0, at(3))
    service.close(game, host, at(30))
    service.close(game, host, at(31))
    rows = db.session.execute(select(Participation).join(Activity).where(Activity.code == "2.13")).scalars().all()
    assert [r.user_id for r in rows] == [ann.id]
    assert db.session.scalar(select(func.count()).select_from(XpEvent).where(XpEvent.source_type == "ring")) == 1
    with pytest.raises(service.RingError):
        service.next_question(game, host, at(40))


def test_only_the_host_runs_the_game(ring, client, auth, make_user):
    make_user("other@uni.test", roles=("curator", "staff"))
    auth.login("other@uni.test")
    assert client.get(f"/ring/{ring['game'].code}/host").status_code == 403
    assert client.post(f"/ring/{ring['game'].code}/next").status_code == 403


def test_the_projector_speaks_the_hosts_language_and_the_pad_the_players(ring, client, auth):
    game, host, (ann, *_rest) = ring["game"], ring["host"], ring["players"]
    host.language, ann.language = "kk", "ru"
    db.session.commit()
    kazakh, russian = (tomllib.loads((SETS / f"brain-ring-anticorruption.{language}.toml").read_text(encoding="utf-8"))
                       for language in ("kk", "ru"))
    auth.login("p0@uni.test")
    client.post(f"/ring/{game.code}/join")
    service.next_question(game, host, at(0))
    ring["clock"]["now"] = at(2)
    first = game.questions[0]
    pad = client.get(f"/ring/{game.code}").get_data(as_text=True)
    assert str(escape(russian["title"])) in pad and str(escape(game.title)) not in pad
    assert all(str(escape(text)) not in pad for text in (first["text"], russian["questions"][first["key"]]["text"]))
    auth.logout()
    auth.login("host@uni.test")
    projector = client.get(f"/ring/{game.code}/host").get_data(as_text=True)
    assert str(escape(kazakh["title"])) in projector
    assert str(escape(kazakh["questions"][first["key"]]["text"])) in projector
    assert all(str(escape(option)) in projector for option in kazakh["questions"][first["key"]]["options"])
    assert str(escape(first["text"])) not in projector


def test_the_shipped_set_is_complete_in_kazakh_and_russian(app):
    spec = read_ring_set(SETS / "brain-ring-anticorruption.toml")
    for language in ("kk", "ru"):
        assert spec["translations"][language]["title"]
        assert all(q["translations"][language]["text"] and len(q["translations"][language]["options"]) == len(q["options"])
                   for q in spec["questions"])


def test_a_ring_translation_must_keep_the_originals_options(tmp_path):
    shutil.copy(SETS / "brain-ring-anticorruption.toml", tmp_path / "ring.toml")
    first = read_ring_set(tmp_path / "ring.toml")["questions"][0]
    (tmp_path / "ring.kk.toml").write_text(f'title = "Ми сақинасы"\n[questions.{first["key"]}]\ntext = "Сұрақ"\n'
                                           'options = ["бір", "екі"]\n', encoding="utf-8")
    with pytest.raises(ContentError, match="options"):
        read_ring_set(tmp_path / "ring.toml")


def test_monthly_games_of_the_shipped_set_do_not_repeat_a_question(ring):
    host, ring_set = ring["host"], ring["game"].ring_set
    assert len(ring_set.questions) >= 40 and ring_set.per_game
    months = len(ring_set.questions) // ring_set.per_game          # the plan holds a game every month
    games = [ring["game"]] + [service.open_game(host, ring_set, "", T0, random.Random(seed)) for seed in range(months - 1)]
    played = [q["key"] for game in games for q in game.questions]
    assert len(played) == len(set(played)) == months * ring_set.per_game
    again = service.open_game(host, ring_set, "", T0, random.Random(99))   # the set has run out: least played first
    assert len(again.questions) == ring_set.per_game


# --- 150 phones against a live server ------------------------------------------------------------

@pytest.fixture
def live(schema, tmp_path):
    app = create_app({**base_config(schema, tmp_path), "SERVER_NAME": None, "TESTING": False, "WTF_CSRF_ENABLED": True,
                      "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute"})
    with app.app_context():
        _empty_tables()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_game_of_150_players_records_every_answer_without_an_error(live):
    app, base = live
    players = 150
    with app.app_context():
        runner = app.test_cli_runner()
        assert runner.invoke(args=["load-content"]).exit_code == 0
        from app.demo.plan import build_plan

        build_plan(Path(app.config["CONTENT_FOLDER"]), datetime.utcnow())   # the game runs now: a plan must cover today for 2.13 to count
        password_hash = hash_password(PASSWORD)
        host = User(email="host@uni.test", full_name="Host")
        host.set_roles(("curator", "staff"))
        host.set_password(PASSWORD)
        db.session.add(host)
        for i in range(players):
            user = User(email=f"phone{i}@uni.test", full_name=f"Phone {i:03d}", password_hash=password_hash)
            user.set_roles(("student",))
            db.session.add(user)
        db.session.commit()
        ring_set = db.session.execute(select(RingSet).where(RingSet.slug == "brain-ring-anticorruption")).scalar_one()
        game = service.open_game(host, ring_set, "", datetime.utcnow())
        code, game_id = game.code, game.id
        rounds, answers_of = 3, {i: game.questions[i]["answer"] for i in range(3)}
    errors, joined, port = [], threading.Event(), int(base.rsplit(":", 1)[1])

    async def call(cookies, path, data=None, headers=()):
        """One request on a connection of its own, as a phone's browser sends it; redirects followed."""
        while True:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = urlencode(data).encode() if data is not None else b""
            head = [f"{'POST' if data is not None else 'GET'} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                    "Connection: close", *headers]
            if cookies:
                head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
            if data is not None:
                head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            raw = await asyncio.wait_for(reader.read(), 30)
            writer.close()
            header_block, _sep, content = raw.partition(b"\r\n\r\n")
            lines = header_block.decode("latin-1").split("\r\n")
            status, location = int(lines[0].split()[1]), None
            for line in lines[1:]:
                name, _colon, value = line.partition(":")
                if name.lower() == "set-cookie":
                    key, _eq, rest = value.strip().partition("=")
                    cookies[key] = rest.split(";")[0]
                elif name.lower() == "location":
                    location = value.strip()
            if status not in (301, 302, 303) or location is None:
                return status, content.decode()
            path, data = urlsplit(location).path + (f"?{urlsplit(location).query}" if urlsplit(location).query else ""), None

    async def phone(number, everyone_in):
        cookies, page = {}, ""
        try:
            # as from the projector's QR code: the game's page sends a phone that is not signed in to the
            # sign-in form, which sends it back to the game
            status, page = await call(cookies, f"/ring/{code}")
            assert status == 200 and 'name="password"' in page, status
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            status, page = await call(cookies, f"/login?next=/ring/{code}",
                                      {"csrf_token": token, "email": f"phone{number}@uni.test", "password": PASSWORD})
            assert status == 200 and f'action="/ring/{code}/join"' in page, status
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            status, page = await call(cookies, f"/ring/{code}/join", {"csrf_token": token})   # then to the pad
            assert status == 200 and 'class="ring-pad"' in page, status
            since = re.search(r'data-since="([^"]*)"', page).group(1)
        except Exception as error:  # noqa: BLE001 — every failure is an error of the run
            errors.append(f"join {number}: {error!r} " + " ".join(page.split())[-1500:])
            return
        finally:
            everyone_in()
        while not joined.is_set():                    # the whole hall is in: the host begins
            await asyncio.sleep(0.05)
        fetch = ("X-Requested-With: fetch",)
        for question in range(rounds):
            deadline = datetime.utcnow() + timedelta(seconds=60)
            while datetime.utcnow() < deadline:       # poll like the phone's script until the question opens:
                # once a second, saying what the pad shows, so that an unchanged pad is a 204 without a body
                status, body = await call(cookies, f"/ring/{code}/pad?since={quote(since)}", headers=fetch)
                if status not in (200, 204):
                    errors.append(f"poll {number}: {status}")
                    return
                if status == 200:
                    since = re.search(r'data-since="([^"]*)"', body).group(1)
                    if f'name="question" value="{question}"' in body:
                        break
                await asyncio.sleep(1)
            option = answers_of[question] if number % 2 == 0 else (answers_of[question] + 1) % 4
            status, body = await call(cookies, f"/ring/{code}/answer",
                                      {"csrf_token": token, "question": question, "option": option}, fetch)
            if status != 200 or '"saved": true' not in body.replace('"saved":true', '"saved": true'):
                errors.append(f"answer {number}/{question}: {status} {body[:80]}")

    async def hall():
        arrived = []

        def everyone_in():
            arrived.append(1)
            if len(arrived) == players:
                ready.set()
        ended = await asyncio.gather(*(phone(number, everyone_in) for number in range(players)), return_exceptions=True)
        errors.extend(f"phone {number}: {end!r}" for number, end in enumerate(ended) if isinstance(end, BaseException))

    ready = threading.Event()
    phones = threading.Thread(target=asyncio.run, args=(hall(),))     # 150 phones on one event loop
    phones.start()
    assert ready.wait(120), errors[:1]
    joined.set()
    with app.app_context():
        for question in range(rounds):
            game = db.session.get(Game, game_id)
            service.next_question(game, game.host, datetime.utcnow())
            for _ in range(300):                       # until every phone has answered, or 60 s
                counted = db.session.scalar(select(func.count()).select_from(RingAnswer).where(
                    RingAnswer.game_id == game_id, RingAnswer.question == question))
                if counted >= players - len(errors):
                    break
                threading.Event().wait(0.2)
            game = db.session.get(Game, game_id)
            db.session.refresh(game)
            service.reveal(game, game.host, datetime.utcnow())
        phones.join(timeout=120)
        game = db.session.get(Game, game_id)
        db.session.refresh(game)
        service.close(game, game.host, datetime.utcnow())
        assert errors == [], errors[0]
        assert db.session.scalar(select(func.count()).select_from(RingAnswer).where(
            RingAnswer.game_id == game_id, RingAnswer.late.is_(False))) == players * rounds
        rows = db.session.scalar(select(func.count()).select_from(Participation).join(Activity).where(Activity.code == "2.13"))
        assert rows == players
        top = service.standings(game)[0]
        assert top.points > 0 and top.place == 1
