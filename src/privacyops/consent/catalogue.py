"""What a person can consent to, read from the declaration once per declaration.

Consent is recorded per **purpose** (the declaration's `purposes`). The banner
speaks in **cookie categories** (`cookie_policy.categories`); a category covers the
non-essential purposes whose fideslang data use has the category's key as its root
(`analytics` covers `analytics.reporting`, `functional` covers `functional.service`),
and `necessary` covers the essential ones. Essential purposes are not based on
consent: they can never be denied.

One key is not in the declaration: `sale_sharing`, the US opt-out of sale, sharing
and targeted advertising that the Global Privacy Control signal expresses. The
declaration promises no sale, yet the law asks us to record and honour the opt-out
(it must still stand if that ever changes), so it is kept as a purpose of its own,
together with any declared purpose whose data use is advertising or third-party
sharing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from privacyops.jurisdictions.enums import ConsentModel
from privacyops.jurisdictions.rules import Regime
from privacyops.policy.schema import Declaration

SALE_SHARING = "sale_sharing"
NECESSARY = "necessary"
#: fideslang data uses that are a sale, a sharing or targeted advertising under US law.
GPC_USE_ROOTS = ("marketing.advertising", "third_party_sharing")
SALE_SHARING_USE = "third_party_sharing"


@dataclass(frozen=True, slots=True)
class PurposeInfo:
    key: str
    essential: bool
    requires_consent: bool
    fides_use: str
    analytics: bool
    """Follows the regime's model for first-party analytics (else the stricter advertising one)."""
    gpc: bool
    """Global Privacy Control opts out of it where the law says so."""
    category: str | None
    declared: bool = True


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    key: str
    requires_consent: bool
    purposes: tuple[str, ...]
    cookies: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    purposes: dict[str, PurposeInfo]
    categories: dict[str, CategoryInfo]

    @property
    def optional(self) -> tuple[str, ...]:
        """Purposes a person may refuse: every non-essential one, `sale_sharing` included."""
        return tuple(key for key, info in self.purposes.items() if not info.essential)

    @property
    def gpc_purposes(self) -> tuple[str, ...]:
        return tuple(key for key, info in self.purposes.items() if info.gpc)

    def expand(self, key: str) -> tuple[str, ...] | None:
        """The purposes a choice key stands for (a purpose, or a category); None if unknown."""
        if key in self.purposes:
            return (key,)
        category = self.categories.get(key)
        return None if category is None else category.purposes

    def categories_of(self, purposes: set[str] | frozenset[str]) -> list[str]:
        return [
            key for key, category in self.categories.items() if purposes & set(category.purposes)
        ]


def _is_gpc(fides_use: str) -> bool:
    return any(fides_use == root or fides_use.startswith(root + ".") for root in GPC_USE_ROOTS)


def build(declaration: Declaration) -> Catalogue:
    categories = {c.key for c in declaration.cookie_policy.categories}
    purposes: dict[str, PurposeInfo] = {}
    for purpose in declaration.purposes:
        root = purpose.fides_use.split(".", 1)[0]
        if purpose.essential:
            category: str | None = NECESSARY if NECESSARY in categories else None
        else:
            category = root if root in categories else None
        purposes[purpose.key] = PurposeInfo(
            key=purpose.key,
            essential=purpose.essential,
            requires_consent=purpose.requires_consent,
            fides_use=purpose.fides_use,
            analytics=root == "analytics",
            gpc=_is_gpc(purpose.fides_use),
            category=category,
        )
    purposes[SALE_SHARING] = PurposeInfo(
        key=SALE_SHARING,
        essential=False,
        requires_consent=False,
        fides_use=SALE_SHARING_USE,
        analytics=False,
        gpc=True,
        category=None,
        declared=False,
    )
    return Catalogue(
        purposes=purposes,
        categories={
            c.key: CategoryInfo(
                key=c.key,
                requires_consent=c.requires_consent,
                purposes=tuple(k for k, info in purposes.items() if info.category == c.key),
                cookies=tuple(
                    cookie.name for cookie in declaration.cookies if cookie.category == c.key
                ),
            )
            for c in declaration.cookie_policy.categories
        },
    )


_lock = threading.Lock()
_last: tuple[Declaration, Catalogue] | None = None


def catalogue(declaration: Declaration) -> Catalogue:
    """The catalogue of ``declaration``, built once per parsed declaration."""
    global _last
    cached = _last
    if cached is not None and cached[0] is declaration:
        return cached[1]
    with _lock:
        built = build(declaration)
        _last = (declaration, built)
        return built


def model_for(info: PurposeInfo, regime: Regime) -> ConsentModel:
    return regime.cookies.analytics if info.analytics else regime.cookies.advertising


def default_granted(info: PurposeInfo, regime: Regime) -> bool:
    """Where no decision was recorded: opt-in regimes deny, opt-out regimes allow.

    Essential purposes are always allowed. A non-essential purpose that does not
    rest on consent (legitimate interests) is allowed until the person objects,
    unless it is a sale or sharing, which follows the regime's advertising model.
    """
    if info.essential:
        return True
    if not info.requires_consent and not info.gpc:
        return True
    return model_for(info, regime) is ConsentModel.OPT_OUT
