"""Celery's transports, two of kombu's adjusted; kyc.settings selects them by the broker URL.

redis:// and rediss://: kombu's Redis channel builds a new redis.Redis for every
acknowledgement, every delivery's "unacked" bookkeeping and every publish; redis-py fills a table
of some 200 response callbacks in each client's constructor (bench/broker.py measures it). A
client is thread-safe and only borrows connections from the channel's pool, so the channel keeps
one, rebuilt when kombu replaces the pool after a connection error.

filesystem:// (the embedded default's broker): kombu creates a message's file under its final
name and then writes it, so a worker listing the folder meanwhile takes an empty or partial file,
and its consumer dies on it (celery/kombu#1551). Here the message is written under another name
and renamed, which is atomic on one file system.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, redis
from kombu.utils.json import dumps


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


class FilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The name kombu's would give it (consumers take files in name order, those ending
        # "<queue>.msg"); written first as "<name>.part", which no consumer takes.
        path = os.path.join(self.data_folder_out, f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg")
        try:
            with open(f"{path}.part", "wb") as f:
                f.write(dumps(payload).encode())
            os.replace(f"{path}.part", path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
