"""Celery's Redis transport, minus a Redis client built for every message.

kombu's Redis channel builds a new redis.Redis for every acknowledgement, every delivery's
"unacked" bookkeeping and every publish; redis-py fills a table of some 200 response callbacks
in each client's constructor (bench/broker.py measures it). A client is thread-safe and only
borrows connections from the channel's pool, so the channel keeps one, rebuilt when kombu
replaces the pool after a connection error. Selected by kyc.settings for redis:// and rediss:// broker URLs.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # kombu caches this one already (Channel.client, for BRPOP)
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
