"""PII detection in free text: offline Presidio with Chinese recognizers."""

from privacyops.collection.pii.engine import build_analyzer, get_analyzer
from privacyops.collection.pii.service import PiiFinding, mask_text, scan_text

__all__ = ["PiiFinding", "build_analyzer", "get_analyzer", "mask_text", "scan_text"]
