from datetime import date

import pytest

from privacyops.collection.pii.checksums import (
    is_valid_resident_id,
    is_valid_uscc,
    resident_id_check_char,
    uscc_check_char,
)


def test_resident_id_check_char_matches_the_worked_example():
    # GB 11643 example, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
    # weighted sum 167, 167 mod 11 = 2, and remainder 2 maps to "X".
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "11010519491231002x", "110105 19491231 002X"]
)
def test_valid_resident_ids(number):
    assert is_valid_resident_id(number)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "wrong check character"),
        ("11010519491231002", "17 characters"),
        ("1101051949123100200", "19 characters"),
        ("440524188001010014", "born before 1900 (checksum is right)"),
        ("99010519491231002X", "no province 99"),
        ("00010519491231002X", "no province 00"),
        ("11010519490231002X", "31 February"),
        ("11010519491231002Y", "Y is not a check character"),
        ("１１０１０５１９４９１２３１００２X", "full-width digits"),
    ],
)
def test_invalid_resident_ids(number, why):
    assert not is_valid_resident_id(number), why


def test_resident_id_born_in_the_future_is_invalid():
    body = "11010520300101001"
    number = body + resident_id_check_char(body)
    assert not is_valid_resident_id(number)
    assert is_valid_resident_id(number, today=date(2031, 1, 1))


def test_foreign_permanent_residence_id_shape_is_accepted():
    body = "93315619900101001"  # 9, province 33, nationality 156, birth date, sequence
    assert is_valid_resident_id(body + resident_id_check_char(body))


# Codes of large companies, printed on their business licences; they are not
# produced by our own algorithm, so they check it independently.
@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "914403001922038216",
        "9144030071526726XG",
        "91330100716105852F",
        "91110000802100433B",
    ],
)
def test_published_credit_codes_are_valid(code):
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91350100M000100Y44", "wrong check character"),
        ("91350100M000100Y4", "17 characters"),
        ("01350100M000100Y43", "authority 0"),
        ("91990100M000100Y43", "no province 99"),
        ("913501O0M000100Y43", "letter O"),
        ("91350100m000100y43", "lower case"),
    ],
)
def test_invalid_credit_codes(code, why):
    assert not is_valid_uscc(code), why


def test_check_char_functions_reject_bad_bodies():
    with pytest.raises(ValueError, match="17"):
        resident_id_check_char("1234")
    with pytest.raises(ValueError, match="charset"):
        uscc_check_char("91350100M000100YI")
