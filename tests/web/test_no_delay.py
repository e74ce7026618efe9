"""Workers of a process manager get Nagle's algorithm turned off on their inherited listener."""

from __future__ import annotations

import socket
import sys

import pytest

from privacyops.web.middleware import no_delay_on_inherited_listeners

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/fd")


def test_a_listener_bound_with_protocol_zero_hands_out_connections_without_nagle() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    idle = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # bound, not listening: untouched
    idle.bind(("127.0.0.1", 0))
    with listener, idle:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert no_delay_on_inherited_listeners() >= 1
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert idle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.proto == 0  # so asyncio would not set it itself
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
