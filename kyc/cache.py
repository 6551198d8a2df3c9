"""Django's Redis cache, minus a Redis client built for every operation.

Django's RedisCacheClient builds a new redis.Redis for every get, set and delete, and redis-py
fills a table of some 200 response callbacks in each client's constructor, most of the work of a
cache.get, and a case makes several (the vendors' circuit breakers). A client
only borrows connections from its pool and is thread-safe, so one per pool serves every
caller. Selected by kyc.settings for Redis cache URLs, as kyc.broker is for the broker.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id of a pool (kept for good in self._pools) -> its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # two threads may both build one here: either serves
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
