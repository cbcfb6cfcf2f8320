"""Arrival stamps: when a request's bytes reached the machine, however late they are read."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator

import pytest

from nmbrs_sandbox.arrival import StampedSocketReader, enable_kernel_stamps


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        enable_kernel_stamps(server)  # as the sandbox's server does; connections inherit it
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            yield client, accepted


def test_bytes_read_late_carry_the_time_they_arrived(connection) -> None:
    client, accepted = connection
    reader = StampedSocketReader(accepted)
    if not reader.kernel_stamps:
        pytest.skip("this platform has no kernel receive timestamps")
    rfile = io.BufferedReader(reader)

    reader.mark()
    sent_at = time.time()
    client.sendall(b"POST / HTTP/1.1\r\n")
    time.sleep(1.0)  # the handler is busy elsewhere; the request waits in the socket
    read_at = time.time()
    assert rfile.readline() == b"POST / HTTP/1.1\r\n"

    # Stamped when sent (an allowance for clock resolution), not when read a second later.
    assert sent_at - 0.01 <= reader.arrival() < read_at - 0.5


def test_each_request_is_stamped_by_its_own_first_bytes(connection) -> None:
    client, accepted = connection
    reader = StampedSocketReader(accepted)
    rfile = io.BufferedReader(reader)

    stamps, sent = [], []
    for line in (b"first\r\n", b"second\r\n"):
        reader.mark()
        sent.append(time.time())
        client.sendall(line)
        assert rfile.readline() == line
        stamps.append(reader.arrival())
        time.sleep(0.2)

    # The second request is stamped by its own bytes, not the connection's first ones.
    assert stamps[0] < sent[1] - 0.15
    assert stamps[1] >= sent[1] - 0.01


def test_a_request_already_buffered_is_stamped_with_the_read_that_brought_it(connection) -> None:
    client, accepted = connection
    reader = StampedSocketReader(accepted)
    rfile = io.BufferedReader(reader)
    client.sendall(b"one\r\ntwo\r\n")  # pipelined: both arrive in one read

    reader.mark()
    assert rfile.readline() == b"one\r\n"
    first = reader.arrival()
    time.sleep(0.2)
    reader.mark()
    assert rfile.readline() == b"two\r\n"

    assert reader.arrival() == first
