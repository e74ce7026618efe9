from __future__ import annotations

from pathlib import Path

import pytest

from privacyops.vault.keystore import FileKeyStore


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "var" / "keys"


@pytest.fixture
def store(key_dir: Path) -> FileKeyStore:
    return FileKeyStore(key_dir)
