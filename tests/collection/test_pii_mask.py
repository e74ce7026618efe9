import pytest

from privacyops.collection.pii import PiiFinding, mask_text, scan_text


def test_label_masking_of_a_scanned_chinese_text():
    text = "我的手机号13812345678，邮箱zhangwei@example.cn，谢谢"
    assert mask_text(text, scan_text(text, language="zh")) == (
        "我的手机号[CN_MOBILE]，邮箱[EMAIL_ADDRESS]，谢谢"
    )


def test_asterisks_keep_the_length():
    text = "Call (212) 555-0187 or mail john.doe@example.com now"
    masked = mask_text(text, scan_text(text), style="asterisk")
    assert masked == "Call ************** or mail ******************** now"
    assert len(masked) == len(text)


def test_no_findings_leave_the_text_unchanged():
    assert mask_text("nothing here", []) == "nothing here"


def test_findings_in_any_order_and_overlapping_are_masked_once():
    text = "0123456789"
    findings = [
        PiiFinding("B", 5, 8, 0.5),
        PiiFinding("A", 1, 4, 0.5),
        PiiFinding("C", 3, 6, 0.5),
    ]
    assert mask_text(text, findings) == "0[A]89"
    assert mask_text(text, findings, style="asterisk") == "0*******89"


def test_contained_finding_does_not_shorten_the_mask():
    findings = [PiiFinding("A", 1, 8, 0.5), PiiFinding("B", 2, 3, 0.5)]
    assert mask_text("0123456789", findings, style="asterisk") == "0*******89"


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 3), (5, 11)])
def test_spans_outside_the_text_are_refused(start, end):
    with pytest.raises(ValueError, match="outside a text of length 10"):
        mask_text("0123456789", [PiiFinding("A", start, end, 0.5)])
