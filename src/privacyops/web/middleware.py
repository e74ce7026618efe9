"""ASGI middleware: request body limits and security headers on every response.

Also ``no_delay_on_inherited_listeners``: a worker started by a process manager
(``uvicorn --workers N``) accepts on a socket its parent bound with protocol 0,
and asyncio then leaves Nagle's algorithm on for every connection (it only sets
``TCP_NODELAY`` on sockets that report ``IPPROTO_TCP``). Uvicorn writes the
response head and body separately, so on a keep-alive connection the body waits
for the client's delayed ACK, about 40 ms per request on Linux. Accepted sockets
inherit ``TCP_NODELAY`` from their listener, so setting it there is enough.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from privacyops.errors import error_body

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(error_body("too_large", f"request body exceeds {limit} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.limit + 1
                if declared > self.limit:
                    await _send_413(send, self.limit)
                    return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            """Past the limit: answer 413 now, and tell the app the client went away."""
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if not started and not refused:
                        refused = True
                        await _send_413(send, self.limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode()))
                if self.hsts:
                    extra.append(
                        (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
                    )
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def no_delay_on_inherited_listeners() -> int:
    """Set ``TCP_NODELAY`` on this process's listening TCP sockets; returns how many.

    Linux only (``/proc/self/fd``); elsewhere, and for a process that listens on
    nothing yet (a single uvicorn process binds after loading the app, and asyncio
    sets the option itself there), it does nothing.
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return 0
    changed = 0
    for fd in fds:
        with contextlib.suppress(OSError, ValueError):
            duplicate = socket.socket(fileno=os.dup(fd))
            with duplicate:
                if duplicate.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if duplicate.type != socket.SOCK_STREAM:
                    continue
                if not duplicate.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    continue
                duplicate.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
    return changed
