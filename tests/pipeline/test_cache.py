"""kyc.cache: Django's Redis cache keeping one client per connection pool, on a real Redis."""

import os
import threading
import uuid

import pytest

from kyc.cache import RedisCache


@pytest.fixture
def cache(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"kyc-test-cache-{uuid.uuid4().hex[:8]}"})
    yield cache
    cache.delete_many(["a", "b", "n", "lock"])


def test_what_the_circuit_breakers_and_tokens_use_works(cache):
    cache.set("a", {"until": 1.5}, timeout=60)
    assert cache.get("a") == {"until": 1.5} and cache.get("missing") is None
    assert cache.add("lock", "1", timeout=60) and not cache.add("lock", "1", timeout=60)
    cache.add("n", 0, timeout=60)
    assert cache.incr("n") == 1 and cache.incr("n") == 2
    cache.set("b", 1)
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b", "n"]) == {"n": 2}
    assert cache.delete("lock") and not cache.delete("lock")


def test_one_client_serves_every_operation_and_thread(cache, monkeypatch):
    import redis

    built = []
    real = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda self, *a, **kw: built.append(1) or real(self, *a, **kw))
    cache.set("a", 1)

    def use():
        for _ in range(20):
            cache.get("a")

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("a") == 1
    assert len(built) == 1  # Django's own client class builds one per operation: 82 here


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/1", "rediscache://127.0.0.1:6379/1"])
def test_settings_select_it_for_redis_cache_urls(url):
    import subprocess
    import sys

    env = {**os.environ, "CACHE_URL": url, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "kyc.settings"}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.CACHES['default'])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'BACKEND': 'kyc.cache.RedisCache'" in out and "'LOCATION': 'redis://127.0.0.1:6379/1'" in out
