"""fideslang's default taxonomy as key sets.

fideslang 3 ships the taxonomy as pydantic objects in
``fideslang.DEFAULT_TAXONOMY`` (``data_category``, ``data_use``,
``data_subject`` lists). Building the sets once and caching them keeps
validation of a declaration cheap, and the rest of the code never touches
fideslang's models directly.
"""

from __future__ import annotations

from functools import cache

from fideslang.default_taxonomy import DEFAULT_TAXONOMY


@cache
def data_categories() -> frozenset[str]:
    """Data-category keys that are in the taxonomy and not deprecated."""
    return frozenset(
        item.fides_key for item in DEFAULT_TAXONOMY.data_category if not item.version_deprecated
    )


@cache
def data_uses() -> frozenset[str]:
    """Data-use keys that are in the taxonomy and not deprecated."""
    return frozenset(
        item.fides_key for item in DEFAULT_TAXONOMY.data_use if not item.version_deprecated
    )


@cache
def data_subjects() -> frozenset[str]:
    """Data-subject keys that are in the taxonomy and not deprecated."""
    return frozenset(
        item.fides_key for item in DEFAULT_TAXONOMY.data_subject if not item.version_deprecated
    )


@cache
def deprecated() -> frozenset[str]:
    """Keys of every kind that the taxonomy still lists but marks deprecated."""
    found = {c.fides_key for c in DEFAULT_TAXONOMY.data_category if c.version_deprecated}
    found |= {u.fides_key for u in DEFAULT_TAXONOMY.data_use if u.version_deprecated}
    found |= {s.fides_key for s in DEFAULT_TAXONOMY.data_subject if s.version_deprecated}
    return frozenset(found)


def is_within(key: str, ancestor: str) -> bool:
    """Whether ``key`` is ``ancestor`` or one of its descendants (dotted keys)."""
    return key == ancestor or key.startswith(ancestor + ".")
