"""The benchmarks' simulated people still get through every step of the platform as it is now.

bench/rush.py's students and bench/ring.py's phones and host are clients written against the pages: a step
the platform adds (a privacy notice to read first, a confirmation before an irreversible action) that they do
not take stops the benchmark, and no test noticed — the brain-ring bench stopped at both for a while. Here a
few of each run, with the benches' own code and short waits, against the instance the benches build (scale
students, then the demo) served on loopback.
"""
import asyncio
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.brainring.models import Game, RingAnswer
from app.extensions import db
from app.quizzes.models import QuizAttempt
from bench import ring, rush
from tests.conftest import _empty_tables, base_config


@pytest.fixture(scope="module")
def served(schema, tmp_path_factory, snapshots):
    """The benches' instance (a few scale students, then the demo) on a free loopback port."""
    app = create_app({**base_config(schema, tmp_path_factory.mktemp("bench")), "SERVER_NAME": None, "TESTING": False,
                      "WTF_CSRF_ENABLED": True, "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute"})
    with app.app_context():
        _empty_tables()
        demo = snapshots.run(app, app.test_cli_runner(), ("seed-scale", "--students", "6", "--seed", "1"),
                             then=[("demo",)])
        assert demo.exit_code == 0, demo.output
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port
    server.shutdown()
    with app.app_context():
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


def run_apart(coroutine):
    """Run the coroutine on an event loop of its own thread: the worker's thread may hold the browser tests'
    Playwright loop (a session fixture), and asyncio.run refuses to start inside a running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def recorder():
    timings, errors = {}, []

    def record(kind, seconds, error):
        timings.setdefault(kind, []).append(seconds)
        if error:
            errors.append(f"{kind}: {error}")
    return timings, errors, record


def test_the_rush_benchs_students_read_the_notice_and_sit_the_integrity_hour_to_the_end(served):
    app, port = served
    timings, errors, record = recorder()

    async def three_students():
        await asyncio.gather(*(rush.take_the_hour(port, number, 0.01, record, random.Random(number))
                               for number in (1, 2, 3)))
    run_apart(three_students())
    assert errors == []
    assert len(timings["privacy notice"]) == 6            # each read the notice and consented, once
    assert len(timings["answer save"]) == 3 * 15 and len(timings["submit"]) == 3
    with app.app_context():
        submitted = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
            QuizAttempt.status == "submitted"))
        db.session.remove()
    assert submitted >= 3


def test_the_ring_benchs_phones_and_host_play_a_game_to_the_end(served):
    app, port = served
    timings, errors, record = recorder()
    run_apart(ring.game(port, 4, 1, record, join=2, question=3, after=0.2, think=(0.1, 0.4)))
    assert [error for error in errors if error != "answer: 409"] == []
    assert len(timings["answer"]) == 4 and len(timings["host step"]) == 6    # open, next, reveal, board, close
    with app.app_context():
        game = db.session.execute(select(Game).order_by(Game.id.desc()).limit(1)).scalar_one()
        answers = db.session.scalar(select(func.count()).select_from(RingAnswer).where(RingAnswer.game_id == game.id))
        closed = game.status
        db.session.remove()
    assert answers == 4 and closed == "closed"
