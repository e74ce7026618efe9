"""docs/ARCHITECTURE.md names the code as it is: every domain folder it lists exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "privacyops"
GUIDE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()


def _named_folders() -> list[str]:
    """The first column of the domain table: `` `name/` ``."""
    return re.findall(r"^\| `([a-z_]+)/` \|", GUIDE, flags=re.MULTILINE)


def test_the_guide_lists_domains() -> None:
    assert len(_named_folders()) >= 10


def test_every_domain_folder_the_guide_names_exists() -> None:
    missing = [name for name in _named_folders() if not any((SRC / name).glob("*.py"))]
    assert missing == [], f"docs/ARCHITECTURE.md names folders missing in src/privacyops: {missing}"


def test_every_domain_folder_is_in_the_guide() -> None:
    folders = sorted(
        p.name
        for p in SRC.iterdir()
        if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))
    )
    unnamed = [name for name in folders if name not in _named_folders()]
    assert unnamed == [], f"domain folders not described in docs/ARCHITECTURE.md: {unnamed}"


def test_every_module_path_the_guide_names_exists() -> None:
    paths = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", GUIDE))
    missing = sorted(
        p for p in paths if not (ROOT / p if p.startswith("tests/") else SRC / p).exists()
    )
    assert missing == [], f"docs/ARCHITECTURE.md names files missing in src/privacyops: {missing}"
