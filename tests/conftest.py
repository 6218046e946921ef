"""Shared fixtures. Tests read MNIST from a local folder and never download it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import bnnbook  # noqa: F401  (Keras 2 before any test imports TensorFlow)
from bnnbook.data import ENV_VAR
from chapter_cache import ChapterCache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The verified local MNIST folder (CI passes ../shared/data/mnist)."""
    folder = os.environ.get(ENV_VAR)
    if not folder:
        pytest.skip(f"{ENV_VAR} is not set: run `make test MNIST_DIR=...`")
    return Path(folder)


class NetworkUsed(AssertionError):
    """A test tried to open a connection off this machine."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Make every non-loopback connection fail, and record the attempts."""
    attempts: list[tuple] = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(self, address)
        attempts.append(address)
        raise NetworkUsed(f"network access to {address} during a test")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse_dns(attempts))
    return attempts


def _refuse_dns(attempts: list[tuple]):
    def getaddrinfo(host, *args, **kwargs):
        attempts.append((host,))
        raise NetworkUsed(f"DNS lookup of {host} during a test")

    return getaddrinfo


def pytest_configure(config: pytest.Config) -> None:
    """Keep nbval's execution of each chapter for the book build (``chapter_cache``)."""
    config.pluginmanager.register(ChapterCache(ROOT), "chapter-cache")
