"""Real local servers for the publish tests, started once per session on 127.0.0.1.

Bluesky: the reference PDS from npm (needs Node and `npm ci --prefix tests/pds`; in CI its
absence fails the tests, elsewhere they are skipped with the reason). Mastodon: mastodon-mock.
X: tests/support/xserver.py, which checks OAuth 1.0a signatures with oauthlib.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.mastodon import MastodonMock, running_mastodon_mock
from tests.support.pds import LocalPDS, node_problem, running_pds
from tests.support.xserver import XServer, running_x_server

from digest.publish import PublisherOptions, RetryPolicy

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPDS]:
    problem = node_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Bluesky tests cannot run: {problem}")
        pytest.skip(f"Bluesky tests need the reference PDS: {problem}")
    with running_pds(tmp_path_factory.mktemp("pds"), rate_limits=True) as server:
        yield server


@pytest.fixture(scope="session")
def mastodon_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastodonMock]:
    with running_mastodon_mock(tmp_path_factory.mktemp("mastodon")) as server:
        yield server


@pytest.fixture
def mastodon(mastodon_mock: MastodonMock) -> Iterator[MastodonMock]:
    """The shared server, with no fault rule left over from another test."""
    mastodon_mock.clear_faults()
    yield mastodon_mock
    mastodon_mock.clear_faults()


@pytest.fixture(scope="session")
def x_server() -> Iterator[XServer]:
    with running_x_server() as server:
        yield server


@pytest.fixture
def unique() -> str:
    """A short name no other test in this session uses (accounts, stories)."""
    return f"t{next(_names)}"


@pytest.fixture
def fast_options() -> PublisherOptions:
    """Short waits so fault tests stay quick; loopback thumbnails allowed."""
    return PublisherOptions(
        timeout=10.0,
        retry=RetryPolicy(attempts=3, backoff=0.05, max_backoff=0.2, max_wait=5.0),
        allow_private_addresses=True,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
