"""Deployments for end-to-end tests: a real Daphne process per mode, sharing a database.

``deployment`` is parametrized over the embedded default (in-memory layer,
the event log bridging other processes) and Redis (a real redis-server).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import (
    DEMO_PASSWORD,
    DaphneServer,
    PostgresServer,
    Project,
    session_cookie,
)
from tests.support.wsclient import WS, fetch_token


@dataclass
class Deployment:
    mode: str
    project: Project
    server: DaphneServer

    @property
    def ws_url(self) -> str:
        return f"{self.server.ws}/api/ws"

    def namespace_url(self, namespace: str) -> str:
        return f"{self.server.ws}/ws/{namespace}/"

    def token(self, username: str) -> str:
        return fetch_token(self.server.http, username, DEMO_PASSWORD)

    async def connect(self, username: str | None = None, url: str | None = None,
                      via: str = "token") -> WS:
        """A socket identified as ``username`` by token (default) or session cookie."""
        url = url or self.ws_url
        if username is None:
            return await WS.open(url)
        if via == "session":
            return await WS.open(url, cookie=session_cookie(self.project, username),
                                 origin=self.server.http)
        return await WS.open(url, token=self.token(username))

    async def shell(self, code: str) -> str:
        return await self.project.ashell(code)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL cluster (outside pytest's private temp dir: it runs as postgres)."""
    workdir = Path(tempfile.mkdtemp(prefix="omni-pg-"))
    server = PostgresServer.start(workdir)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def _make_deployment(mode: str, workdir: Path, request: pytest.FixtureRequest) -> Deployment:
    redis_url = request.getfixturevalue("redis_server").url if mode != "embedded" else None
    database_url = request.getfixturevalue("postgres_server").url if mode == "postgres" else None
    project = Project.create(workdir, redis_url=redis_url, database_url=database_url)
    return Deployment(mode, project, DaphneServer.start(project))


# embedded: SQLite + in-process layer; redis: SQLite + Redis; postgres: the production
# components, PostgreSQL + Redis.
@pytest.fixture(scope="session", params=["embedded", "redis", "postgres"])
def deployment(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = _make_deployment(request.param, tmp_path_factory.mktemp(request.param), request)
    yield deployment
    deployment.server.stop()
