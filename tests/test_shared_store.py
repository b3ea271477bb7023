"""With REDIS_URL set, sign-in throttling is shared by every worker (here: two app instances)."""
import os
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        message = f"no Redis answers at {REDIS_URL} (set TEST_REDIS_URL); .ci/run starts one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield REDIS_URL
    client.close()


def test_two_workers_share_one_failure_count(make_app, app, make_user, redis_url):
    make_user("ann@uni.test")
    prefix = f"test-{uuid.uuid4().hex}"
    settings = dict(RATELIMIT_STORAGE_URI=redis_url, REDIS_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    worker_a, worker_b = make_app(**settings), make_app(**settings)
    client_a, client_b = worker_a.test_client(), worker_b.test_client()
    for client in (client_a, client_b, client_a, client_b, client_a):
        assert client.post("/login", data={"email": "ann@uni.test", "password": "wrong"}).status_code == 200
    # The sixth attempt, on either worker, is refused: the five failures were counted together.
    assert client_b.post("/login", data={"email": "ann@uni.test", "password": "wrong"}).status_code == 429
    keys = redis.Redis.from_url(redis_url).keys(f"*{prefix}*")
    assert keys, "the count lives in Redis, not in process memory"


def test_memory_store_is_the_default(app):
    from app.extensions import limiter

    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert type(limiter.storage).__name__ == "MemoryStorage"


def test_coverage_and_standings_are_cached_in_redis_when_configured(make_app, app, runner, make_group, make_user, redis_url):
    from datetime import date, datetime

    from app.coverage import service as coverage
    from app.people.service import record_headcount
    from app.plan.service import activity_by_code, current_plan, record_participation

    prefix = f"test-{uuid.uuid4().hex}"
    shared = make_app(REDIS_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    with shared.app_context():
        from app.extensions import db
        assert runner.invoke(args=["load-content"]).exit_code == 0
        plan = current_plan(date(2024, 10, 1))
        group = make_group()
        record_headcount(group, 10, date(2024, 9, 1), None)
        db.session.commit()
        first = coverage.coverage(plan, date(2025, 3, 1)).university.figures[activity_by_code(plan, "2.12").id]
        record_participation(make_user(group=group).id, activity_by_code(plan, "2.12"), source="manual",
                             when=datetime(2024, 10, 1))
        db.session.commit()
        second = coverage.coverage(plan, date(2025, 3, 1)).university.figures[activity_by_code(plan, "2.12").id]
        assert (first.participants, second.participants) == (0, 1)
        assert redis.Redis.from_url(redis_url).keys(f"{prefix}:cache:coverage*")
