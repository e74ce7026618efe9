"""Walks the app's routes for the permission tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from privacyops.staff.permissions import Permission
from privacyops.web.deps import Guard


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    guards: tuple[Guard, ...]

    @property
    def permission(self) -> Permission | None:
        return self.guards[0].permission

    def url(self) -> str:
        return re.sub(r"\{[^}]+\}", "1", self.path)


def guards_of(route: APIRoute) -> tuple[Guard, ...]:
    return tuple(dep.call for dep in route.dependant.dependencies if isinstance(dep.call, Guard))


def route_cases(app: FastAPI) -> Iterator[RouteCase]:
    """Every API route, including those inside included routers."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            yield RouteCase(method, route.path, guards_of(route))
