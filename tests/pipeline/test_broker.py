"""kyc.broker: kombu's Redis transport keeping one client per channel, on a real Redis; its
filesystem transport writing each message whole."""

import os
import threading
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


def test_the_filesystem_broker_never_hands_over_a_message_still_being_written(tmp_path):
    """A consumer polling while messages are written takes each one whole (kombu's own transport
    hands over the empty file it has just created, and the worker's consumer dies on it)."""
    folders = {name: str(tmp_path / name) for name in ("queue", "processed", "control")}
    for folder in folders.values():
        os.mkdir(folder)
    options = {
        "data_folder_in": folders["queue"],
        "data_folder_out": folders["queue"],
        "processed_folder": folders["processed"],
        "control_folder": folders["control"],
        "polling_interval": 0,
    }
    count, body = 200, "x" * 200_000  # large: each write takes a while
    transport = "kyc.broker:FilesystemTransport"  # kombu's "filesystem" fails here: JSONDecodeError
    with (
        Connection("filesystem://", transport=transport, transport_options=options) as producer_conn,
        Connection("filesystem://", transport=transport, transport_options=options) as consumer_conn,
    ):
        sender, receiver = producer_conn.SimpleQueue("kyc-test"), consumer_conn.SimpleQueue("kyc-test")
        writer = threading.Thread(target=lambda: [sender.put({"n": n, "body": body}) for n in range(count)])
        writer.start()
        received = []
        try:
            while len(received) < count:
                message = receiver.get(timeout=10)
                received.append(message.payload["n"])
                message.ack()
        finally:
            writer.join()
        assert sorted(received) == list(range(count))
