"""Check characters of Chinese identifiers.

Resident identity card numbers follow GB 11643-1999 (ISO 7064 MOD 11-2);
unified social credit codes follow GB 32100-2015 (weighted MOD 31). The
region and date checks are sanity checks on top of the checksum: they cut
the 1-in-11 (ID) and 1-in-31 (USCC) chance that a random 18-character
order number passes the checksum alone.
"""

from datetime import date

# First two digits of a GB/T 2260 division code: provinces, autonomous regions
# and municipalities, plus 71/81/82 (Taiwan, Hong Kong, Macao) and 83, used by
# residence permits for Taiwan residents.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Central government bodies carry the national code 100000.
_USCC_REGION_PREFIXES = PROVINCE_CODES | {"10"}

_EARLIEST_BIRTH_YEAR = 1900


def resident_id_check_char(body: str) -> str:
    """Check character for the first 17 digits of a resident ID number."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("a resident ID body is 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_birth_date(number: str) -> date | None:
    """Birth date encoded in an 18-character ID, or None if it is not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_resident_id(number: str, *, today: date | None = None) -> bool:
    """True for an 18-character resident ID with a sane region, birth date and check.

    Separators (spaces, hyphens) are ignored; a lowercase ``x`` is accepted.
    Foreigners' permanent residence cards (2023 format) start with 9 followed
    by the issuing province and share the checksum, so they pass too.
    """
    compact = normalize(number).upper()
    return (
        looks_like_resident_id(compact, today=today)
        and resident_id_check_char(compact[:17]) == compact[17]
    )


def looks_like_resident_id(number: str, *, today: date | None = None) -> bool:
    """Region and birth date of a resident ID are plausible; the check is not verified."""
    compact = normalize(number).upper()
    if len(compact) != 18 or not compact[:17].isdigit() or not compact[:17].isascii():
        return False
    if compact[17] not in "0123456789X":
        return False
    region = compact[1:3] if compact[0] == "9" else compact[:2]
    if region not in PROVINCE_CODES:
        return False
    born = resident_id_birth_date(compact)
    return (
        born is not None and born.year >= _EARLIEST_BIRTH_YEAR and born <= (today or date.today())
    )


def uscc_check_char(body: str) -> str:
    """Check character for the first 17 characters of a unified social credit code."""
    if len(body) != 17 or any(ch not in _USCC_VALUE for ch in body):
        raise ValueError("a USCC body is 17 characters of the GB 32100 charset")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for a unified social credit code with a sane structure and check.

    Layout: registration authority (1), entity kind (1), division code (6),
    organisation code (9), check (1). Authority 0 is never assigned.
    """
    compact = normalize(code)
    if len(compact) != 18 or any(ch not in _USCC_VALUE for ch in compact):
        return False
    if compact[0] == "0" or not compact[2:8].isdigit():
        return False
    if compact[2:4] not in _USCC_REGION_PREFIXES:
        return False
    return uscc_check_char(compact[:17]) == compact[17]


def normalize(value: str) -> str:
    return value.replace(" ", "").replace("-", "")
