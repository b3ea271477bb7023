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
