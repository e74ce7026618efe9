"""Pattern recognizers: our Chinese identifiers and CJK-safe built-ins.

Two habits of Presidio's built-in patterns break on Chinese text: ``\\b``
and ``\\w`` are Unicode-aware, so a Han character counts as a word
character. ``手机号13812345678`` then has no word boundary before the
digits, and the e-mail pattern swallows ``邮箱`` in front of an address.
Our own patterns use explicit ASCII look-arounds, and the built-ins are run
with ``regex.ASCII`` so their ``\\b`` and ``\\w`` mean ASCII only.
"""

import functools
import ipaddress
import re
from collections.abc import Sequence

# types-regex is not a dev dependency; the flags are plain ints.
import regex  # type: ignore[import-untyped]
import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MacAddressRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
)

from privacyops.collection.pii.checksums import (
    is_valid_resident_id,
    is_valid_uscc,
    looks_like_resident_id,
)

CASE_SENSITIVE_FLAGS = regex.DOTALL | regex.MULTILINE | regex.ASCII

# Not preceded / followed by an ASCII letter, digit or underscore. Han
# characters and full-width punctuation are fine neighbours.
_START = r"(?<![0-9A-Za-z_])"
_END = r"(?![0-9A-Za-z_])"

# Regions whose national formats python-phonenumbers tries, one pass over the
# text each. Numbers written with a +country code are found whatever the list.
# DE and IN are left out on purpose: their lenient national formats read
# 13-digit millisecond and 10-digit second timestamps as phone numbers.
PHONE_REGIONS = ("CN", "HK", "TW", "US", "GB")

# Context words are bilingual for every recognizer: tickets mix languages, and
# the context enhancer matches them in a character window, not on tokens.
CONTEXT: dict[str, list[str]] = {
    "EMAIL_ADDRESS": ["email", "e-mail", "mail", "邮箱", "邮件", "电邮"],
    "PHONE_NUMBER": [
        "phone", "telephone", "tel", "cell", "mobile", "call", "number",
        "电话", "手机", "座机", "联系", "致电", "号码",
    ],
    "CREDIT_CARD": [
        "credit", "card", "visa", "mastercard", "amex", "unionpay",
        "信用卡", "银行卡", "卡号", "银联",
    ],
    "IP_ADDRESS": ["ip", "ipv4", "ipv6", "address", "地址"],
    "IBAN_CODE": ["iban", "bank", "account", "账户", "账号", "银行"],
    "URL": ["url", "website", "link", "网址", "链接", "网站"],
    "MAC_ADDRESS": ["mac", "device", "设备", "网卡"],
    "CN_MOBILE": [
        "phone", "mobile", "cell", "tel", "call", "contact", "wechat", "whatsapp",
        "手机", "电话", "联系", "号码", "微信", "致电", "来电",
    ],
    "CN_RESIDENT_ID": [
        "id card", "identity", "resident", "citizen", "id no", "id number",
        "身份证", "证件", "身份", "公民",
    ],
    "CN_USCC": [
        "credit code", "uscc", "business license", "tax id", "registration",
        "信用代码", "社会信用", "营业执照", "税号", "纳税人识别号",
    ],
}  # fmt: skip


# A label right before an 11-digit number makes it an order or parcel number.
_ORDER_LABEL = re.compile(
    r"(?:(?<![a-z])(?:order|tracking|invoice|serial|parcel|ticket|sn)"
    r"|订单|运单|快递单|单号|编号|序列号|发票|流水号|账单)"
    r"\s*(?:no\.?|number|id|#|号码?)?\s*[:：#]?\s*$",
    re.IGNORECASE,
)


@functools.cache
def context_pattern(word: str) -> re.Pattern[str]:
    """Search pattern for a context word in lowercased text.

    An ASCII word must start a word (``ip`` must not fire on ``ship``); a
    CJK word has no word boundaries to respect and matches anywhere.
    """
    escaped = re.escape(word.lower())
    if word.isascii():
        return re.compile(r"(?<![a-z0-9])" + escaped)
    return re.compile(escaped)


class CnMobileRecognizer(PatternRecognizer):
    """Mainland China mobile numbers, with an optional +86 / 0086 / 86 prefix.

    There is no checksum: any 11 digits starting 13-19 match. A number right
    after an order-number label ("订单号", "order no.") is scored below the
    default threshold instead; a bare one stays a false positive.
    """

    REGEX = (
        r"(?<![0-9A-Za-z_+.])(?:(?:\+|00)?86[ -]?|[(（]\+?86[)）] ?)?"
        r"1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9A-Za-z_]|\.\d)"
    )
    LABELLED_SCORE = 0.3

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="CN_MOBILE",
            patterns=[Pattern("CN mobile", self.REGEX, 0.6)],
            context=CONTEXT["CN_MOBILE"],
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
            country_code="cn",
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            if _ORDER_LABEL.search(text, max(0, result.start - 16), result.start):
                result.score = self.LABELLED_SCORE
                # Tells the context enhancer not to lift it again.
                metadata = result.recognition_metadata
                metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return results


class CnResidentIdRecognizer(PatternRecognizer):
    """18-character resident identity card numbers (GB 11643), checksum verified."""

    REGEX = (
        _START + r"[1-9]\d{5} ?(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
        r" ?\d{3}[0-9Xx]" + _END
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="CN_RESIDENT_ID",
            patterns=[Pattern("CN resident ID", self.REGEX, 0.9)],
            context=CONTEXT["CN_RESIDENT_ID"],
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
            country_code="cn",
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        # Invalidating rather than validating keeps the pattern score:
        # Presidio would lift a validated match to 1.0.
        return not is_valid_resident_id(pattern_text)


class CnUsccRecognizer(PatternRecognizer):
    """Unified social credit codes of organisations (GB 32100), checksum verified."""

    REGEX = _START + r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}" + _END

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="CN_USCC",
            patterns=[Pattern("CN USCC", self.REGEX, 0.8)],
            context=CONTEXT["CN_USCC"],
            supported_language=supported_language,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
            country_code="cn",
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        # An all-digit code with a province and a birth date where a resident
        # ID has them is a mistyped ID far more often than a credit code.
        return not is_valid_uscc(pattern_text) or looks_like_resident_id(pattern_text)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer with the public-suffix check kept offline.

    The stock recognizer calls ``tldextract.extract``, whose first use tries
    to download the public suffix list. Here the list comes only from the
    snapshot inside the tldextract wheel, and nothing is cached to disk.
    """

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(context=CONTEXT["EMAIL_ADDRESS"], supported_language=supported_language)
        self._tld = tldextract.TLDExtract(
            cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
        )

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld(pattern_text.rpartition("@")[2]).fqdn != ""


class NarrowPhoneRecognizer(PhoneRecognizer):
    """python-phonenumbers, minus what a more specific recognizer owns.

    A mainland mobile is left to ``CnMobileRecognizer``: both would report
    ``+86 139-1234-5678``, and context words meant for a nearby landline must
    not hand it to PHONE_NUMBER on score. A dotted quad such as
    ``198.51.100.25`` parses as a US number but is an IP address.
    """

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            context=CONTEXT["PHONE_NUMBER"],
            supported_language=supported_language,
            supported_regions=PHONE_REGIONS,
        )
        self._cn_mobile = regex.compile(CnMobileRecognizer.REGEX, CASE_SENSITIVE_FLAGS)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        # Presidio annotates the parameter as NlpArtifacts but defaults it to None.
        results = super().analyze(text, entities, nlp_artifacts)  # type: ignore[arg-type]
        return [
            r
            for r in results
            if not self._cn_mobile.fullmatch(text, r.start, r.end)
            and not _is_ip_address(text[r.start : r.end])
        ]


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class PaymentCardRecognizer(CreditCardRecognizer):
    """Presidio's Luhn-checked card numbers, without the ``1`` (UATP) prefix.

    Any digit string passes Luhn one time in ten; airline UATP cards are rare
    in our tickets, while 14-19 digit build and order numbers starting with 1
    are common.
    """

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(context=CONTEXT["CREDIT_CARD"], supported_language=supported_language)

    def invalidate_result(self, pattern_text: str) -> bool:
        return pattern_text.lstrip().startswith("1")


class CjkSafeUrlRecognizer(UrlRecognizer):
    """Presidio's URL patterns with an ASCII-only path and no final punctuation.

    Presidio's path part takes anything but ASCII spaces and quotes, so in
    ``https://example.com/t/1，谢谢https://example.com/t/2`` the first match
    runs on through the Chinese words and swallows the second URL. A
    sentence's full stop is taken too.
    """

    _PATH = r"(?:/[^\s()<>\"']*)?"
    _ASCII_PATH = r"(?:/[^\s()<>\"'\x80-\U0010ffff]*)?"
    _TRAILING = ".,;:!?"

    def __init__(self, supported_language: str = "en") -> None:
        patterns = []
        for pattern in UrlRecognizer.PATTERNS:
            if self._PATH not in pattern.regex:
                raise RuntimeError(f"Presidio's URL pattern {pattern.name!r} has changed")
            ascii_path = pattern.regex.replace(self._PATH, self._ASCII_PATH)
            patterns.append(Pattern(pattern.name, ascii_path, pattern.score))
        super().__init__(
            patterns=patterns, context=CONTEXT["URL"], supported_language=supported_language
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.end = result.start + len(text[result.start : result.end].rstrip(self._TRAILING))
        return EntityRecognizer.remove_duplicates(results)


def build_recognizers(language: str) -> list[EntityRecognizer]:
    """One instance of every recognizer for ``language`` (Presidio binds them to one)."""
    builtins: Sequence[PatternRecognizer] = (
        OfflineEmailRecognizer(supported_language=language),
        PaymentCardRecognizer(supported_language=language),
        IpRecognizer(context=CONTEXT["IP_ADDRESS"], supported_language=language),
        IbanRecognizer(context=CONTEXT["IBAN_CODE"], supported_language=language),
        CjkSafeUrlRecognizer(supported_language=language),
        MacAddressRecognizer(context=CONTEXT["MAC_ADDRESS"], supported_language=language),
    )
    for recognizer in builtins:
        recognizer.global_regex_flags |= regex.ASCII
    return [
        *builtins,
        NarrowPhoneRecognizer(supported_language=language),
        CnMobileRecognizer(supported_language=language),
        CnResidentIdRecognizer(supported_language=language),
        CnUsccRecognizer(supported_language=language),
    ]
