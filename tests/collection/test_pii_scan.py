import dataclasses
import pickle

import pytest

from privacyops.collection.pii import PiiFinding, get_analyzer, scan_text
from privacyops.collection.pii.checksums import is_valid_uscc


def found(text, language="en"):
    """(entity type, matched text) pairs; spans are checked by the caller."""
    return [(f.entity_type, text[f.start : f.end]) for f in scan_text(text, language=language)]


def assert_exact(text, findings, expected):
    """Each expected value is found once, with the exact span it has in the text."""
    assert [(f.entity_type, f.start, f.end) for f in findings] == [
        (entity_type, text.index(value), text.index(value) + len(value))
        for entity_type, value in expected
    ]


def test_english_ticket_spans_are_exact():
    text = (
        "Hi, I'm locked out. Call me at (212) 555-0187 or mail john.doe@example.com. "
        "Card 4111 1111 1111 1111 was charged twice; login from 203.0.113.7, "
        "router MAC 00:1A:2B:3C:4D:5E, refund to IBAN GB82 WEST 1234 5698 7654 32. "
        "Screenshot at https://files.example.com/t/991."
    )
    assert_exact(
        text,
        scan_text(text),
        [
            ("PHONE_NUMBER", "(212) 555-0187"),
            ("EMAIL_ADDRESS", "john.doe@example.com"),
            ("CREDIT_CARD", "4111 1111 1111 1111"),
            ("IP_ADDRESS", "203.0.113.7"),
            ("MAC_ADDRESS", "00:1A:2B:3C:4D:5E"),
            ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
            ("URL", "https://files.example.com/t/991"),
        ],
    )


def test_chinese_ticket_spans_are_exact():
    text = (
        "用户张伟的手机号是13812345678，邮箱zhangwei@example.cn，"
        "身份证11010519491231002X，登录地址203.0.113.7。"
        "公司信用代码91350100M000100Y43，座机010-62345678。"
    )
    assert_exact(
        text,
        scan_text(text, language="zh"),
        [
            ("CN_MOBILE", "13812345678"),
            ("EMAIL_ADDRESS", "zhangwei@example.cn"),  # not "邮箱zhangwei@..."
            ("CN_RESIDENT_ID", "11010519491231002X"),
            ("IP_ADDRESS", "203.0.113.7"),
            ("CN_USCC", "91350100M000100Y43"),
            ("PHONE_NUMBER", "010-62345678"),
        ],
    )


@pytest.mark.parametrize(
    ("text", "mobile"),
    [
        ("我的手机号13812345678谢谢", "13812345678"),
        ("电话：+86 139-1234-5678。", "+86 139-1234-5678"),
        ("请联系8615912345678或者邮件", "8615912345678"),
        ("（+86）18612345678", "（+86）18612345678"),
        ("(+86) 186 1234 5678", "(+86) 186 1234 5678"),
        ("号码0086 177 1234 5678，周一", "0086 177 1234 5678"),
        ("my number is 138-1234-5678.", "138-1234-5678"),
    ],
)
def test_mainland_mobiles_inside_chinese_text(text, mobile):
    assert found(text, "zh") == [("CN_MOBILE", mobile)]


def test_mobile_in_chinese_text_is_found_with_either_language():
    text = "我的手机号13812345678谢谢"
    assert found(text, "en") == found(text, "zh") == [("CN_MOBILE", "13812345678")]


def test_context_words_raise_the_score_in_chinese():
    with_context = scan_text("手机13812345678", language="zh")
    without = scan_text("参考13812345678", language="zh")
    assert with_context[0].score > without[0].score >= 0.6


def test_english_context_word_must_start_a_word():
    # "ship" contains "ip"; it must not boost the IP address.
    plain = scan_text("ship 192.0.2.10")[0].score
    boosted = scan_text("ip 192.0.2.10")[0].score
    assert boosted > plain


def test_valid_identifiers_are_found_next_to_han_characters():
    text = "身份证号11010519491231002X已核对，执照91110000802100433B有效"
    assert found(text, "zh") == [
        ("CN_RESIDENT_ID", "11010519491231002X"),
        ("CN_USCC", "91110000802100433B"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "身份证号110105194912310021已核对",  # check character wrong
        "身份证号99010519491231002X已核对",  # no such province
        "身份证号11010519491331002X已核对",  # month 13
        "执照91350100M000100Y44有效",  # USCC check character wrong
        "执照91350100M000100Y4有效",  # one character short
    ],
)
def test_invalid_checksums_are_rejected(text):
    assert found(text, "zh") == []


@pytest.mark.parametrize(
    "text",
    [
        "订单号20231124000123已发货",
        "Order 202311240001234567 shipped",
        "时间2023-11-24 13:45:12，时间戳1700812345123",
        "unix time 1700812345",
        "设备序列号SN13812345678",
        "firmware v1.3.812 build 13812345678901",
        "金额¥13,812.00",
        "卡号4111 1111 1111 1112",  # fails Luhn
        "IP 999.1.1.1 is not an address",
    ],
)
def test_near_misses_are_not_personal_data(text):
    assert found(text, "zh") == []


@pytest.mark.parametrize(
    "text",
    [
        "订单号13812345678已发货",
        "快递单号：13812345678",
        "Order no. 13812345678 shipped",
        "tracking #13812345678",
    ],
)
def test_mobile_shaped_order_numbers_after_a_label_are_below_threshold(text):
    assert found(text, "zh") == []
    low = scan_text(text, language="zh", min_score=0.1)
    assert [(f.entity_type, f.score) for f in low] == [("CN_MOBILE", 0.3)]


def test_phone_word_after_an_order_label_does_not_lift_it():
    assert found("订单号13812345678，请电话联系", "zh") == []


def test_dotted_quad_is_an_ip_address_not_a_phone_number():
    assert found("我的联系方式是198.51.100.253，谢谢", "zh") == [("IP_ADDRESS", "198.51.100.253")]


def test_mainland_mobile_near_a_landline_keeps_its_own_type():
    text = "座机010-62345678，+86 139-1234-5678"
    assert found(text, "zh") == [
        ("PHONE_NUMBER", "010-62345678"),
        ("CN_MOBILE", "+86 139-1234-5678"),
    ]


def test_id_shaped_number_with_a_bad_check_is_not_a_credit_code():
    # It passes the GB 32100 check by chance; it is a mistyped resident ID.
    assert is_valid_uscc("513321196805050060")
    assert found("证件513321196805050060", "zh") == []


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("截图链接https://example.com/t/991，谢谢", "https://example.com/t/991"),
        ("See https://example.com/a?b=1.", "https://example.com/a?b=1"),
        ("网址：www.example.cn/帮助", "www.example.cn/"),
    ],
)
def test_urls_stop_at_chinese_text_and_final_punctuation(text, url):
    assert found(text, "zh") == [("URL", url)]


def test_two_urls_separated_only_by_chinese_text_are_both_found():
    text = "见https://example.com/a，以及https://example.cn/b谢谢"
    assert found(text, "zh") == [("URL", "https://example.com/a"), ("URL", "https://example.cn/b")]


def test_email_domain_inside_an_address_is_not_also_a_url():
    assert found("mail zhangwei@example.com today") == [("EMAIL_ADDRESS", "zhangwei@example.com")]


def test_entities_filter_and_min_score():
    text = "手机13812345678，邮箱a@example.com"
    only_mail = scan_text(text, language="zh", entities=["EMAIL_ADDRESS"])
    assert [f.entity_type for f in only_mail] == ["EMAIL_ADDRESS"]
    assert scan_text("参考13812345678", language="zh", min_score=0.9) == []
    assert scan_text(text, language="zh", entities=[]) == []


@pytest.mark.parametrize("tag", ["zh", "zh-CN", "zh_Hans", "ZH"])
def test_language_tags_are_normalised(tag):
    assert found("手机13812345678", tag) == [("CN_MOBILE", "13812345678")]


def test_unsupported_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        scan_text("bonjour", language="fr")
    with pytest.raises(ValueError, match="unsupported language"):
        scan_text("", language="fr")


def test_empty_text_has_no_findings():
    assert scan_text("") == []


def test_findings_hold_no_copy_of_the_value():
    text = "邮箱zhangwei@example.cn 手机13812345678 身份证11010519491231002X"
    findings = scan_text(text, language="zh")
    assert len(findings) == 3
    assert [f.name for f in dataclasses.fields(PiiFinding)] == [
        "entity_type",
        "start",
        "end",
        "score",
    ]
    blob = pickle.dumps(findings) + repr(findings).encode()
    for finding in findings:
        value = text[finding.start : finding.end]
        assert value.encode() not in blob
        assert not hasattr(finding, "__dict__")  # slots: nothing can be attached later


def test_analyzer_is_built_once_per_process():
    assert get_analyzer() is get_analyzer()
