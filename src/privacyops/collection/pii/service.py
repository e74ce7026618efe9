"""Find and mask personal data in free text (support tickets, messages)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from presidio_analyzer import RecognizerResult

from privacyops.collection.pii.engine import LANGUAGES, get_analyzer

MaskStyle = Literal["label", "asterisk"]

DEFAULT_MIN_SCORE = 0.4


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """Where personal data sits in a text: metadata only.

    Findings are stored next to the text they describe, so they deliberately
    hold no copy of the matched value; ``text[start:end]`` recovers it for
    whoever is allowed to read the text itself.
    """

    entity_type: str
    start: int
    end: int
    score: float


def scan_text(
    text: str,
    *,
    language: str = "en",
    entities: Iterable[str] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[PiiFinding]:
    """Personal data found in ``text``: non-overlapping findings in text order.

    ``language`` picks the tokenizer ("en", "zh", or a tag such as "zh-CN");
    every recognizer runs in both languages because tickets mix them.
    """
    lang = _language(language)
    wanted = sorted(entities) if entities is not None else None
    if not text or wanted == []:  # Presidio reads an empty list as "all types"
        return []
    results = get_analyzer().analyze(
        text=text,
        language=lang,
        entities=wanted,
        score_threshold=min_score,
    )
    return [
        PiiFinding(r.entity_type, r.start, r.end, round(r.score, 3))
        for r in _without_overlaps(results)
    ]


def mask_text(text: str, findings: Iterable[PiiFinding], *, style: MaskStyle = "label") -> str:
    """``text`` with every finding replaced.

    ``label`` writes ``[ENTITY_TYPE]``; ``asterisk`` writes one ``*`` per
    character so that the length, and any column width downstream, is kept.
    Overlapping findings are merged and masked once.
    """
    spans = sorted((f.start, f.end, f.entity_type) for f in findings)
    parts: list[str] = []
    cursor = 0
    for start, end, entity_type in spans:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"finding {start}:{end} is outside a text of length {len(text)}")
        if start < cursor:
            # Overlap: extend the previous mask instead of nesting a second one.
            if end > cursor:
                if style == "asterisk":
                    parts.append("*" * (end - cursor))
                cursor = end
            continue
        parts.append(text[cursor:start])
        parts.append("*" * (end - start) if style == "asterisk" else f"[{entity_type}]")
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def _language(tag: str) -> str:
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {tag!r}; expected one of {', '.join(LANGUAGES)}")
    return language


def _without_overlaps(results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Resolve overlaps between entity types: higher score, then longer span wins.

    Presidio only removes overlaps within one type, so ``example.com`` inside
    an e-mail address also comes back as a URL, and a mainland mobile number
    as both CN_MOBILE and PHONE_NUMBER.
    """
    ranked = sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start))
    kept: list[RecognizerResult] = []
    for result in ranked:
        if all(result.end <= k.start or result.start >= k.end for k in kept):
            kept.append(result)
    return sorted(kept, key=lambda r: r.start)
