"""kyc.broker: kombu's Redis transport keeping one client per channel, on a real Redis."""

import uuid

import pytest
from kombu import Connection

from kyc import broker


@pytest.fixture
def connection(redis_url):
    with Connection(redis_url, transport="kyc.broker:Transport") as conn:
        yield conn


def test_messages_go_through_and_acks_reuse_one_client(connection, monkeypatch):
    built = []
    real = broker.redis.Channel._create_client
    monkeypatch.setattr(
        broker.redis.Channel,
        "_create_client",
        lambda self, asynchronous=False: built.append(asynchronous) or real(self, asynchronous),
    )
    queue = connection.SimpleQueue(f"kyc-test-broker-{uuid.uuid4().hex[:8]}")
    try:
        for n in range(5):
            queue.put({"n": n})
        received = []
        for _ in range(5):
            message = queue.get(timeout=5)
            received.append(message.payload["n"])
            message.ack()  # kombu's Redis QoS removes it from the unacked set: a sync client each time
        assert received == [0, 1, 2, 3, 4]
        assert built.count(False) == 1  # kombu alone would have built one per ack and per delivery
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)  # nothing left, nothing re-delivered
    finally:
        queue.clear()
        queue.close()


def test_a_new_pool_after_a_connection_error_gets_a_new_client(connection):
    channel = connection.default_channel
    first = channel._create_client()
    assert channel._create_client() is first and first.connection_pool is channel.pool
    channel._disconnect_pools()  # what kombu does when the connection breaks
    second = channel._create_client()
    assert second is not first and second.connection_pool is channel.pool
