"""The analyzer must work with no network: no spaCy download, no suffix-list fetch."""

import socket

import pytest
import tldextract
from presidio_analyzer import BatchAnalyzerEngine

from privacyops.collection.pii import build_analyzer, get_analyzer
from privacyops.collection.pii.engine import BlankSpacyNlpEngine


@pytest.fixture
def network_attempts(monkeypatch):
    """Block name resolution and connections, and record every attempt."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_the_guard_catches_a_suffix_list_fetch(network_attempts):
    # A stock extractor tries to download the list, then quietly falls back
    # to its snapshot, so only the recorded attempt shows that it went out.
    extract = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=("https://publicsuffix.org/list/public_suffix_list.dat",)
    )
    assert extract("mail.example.com").fqdn == "mail.example.com"
    assert network_attempts


def test_building_and_analysing_make_no_network_attempt(network_attempts):
    analyzer = build_analyzer()
    text = "邮箱zhangwei@example.cn，手机13812345678; mail john@example.co.uk"
    results = analyzer.analyze(text=text, language="zh")
    emails = sorted(text[r.start : r.end] for r in results if r.entity_type == "EMAIL_ADDRESS")
    assert emails == ["john@example.co.uk", "zhangwei@example.cn"]
    assert network_attempts == []


def test_blank_chinese_pipeline_needs_no_segmenter_package():
    engine = BlankSpacyNlpEngine(["zh"])
    engine.load()
    artifacts = engine.process_text("手机13812345678", "zh")
    assert [token.text for token in artifacts.tokens][:2] == ["手", "机"]


def test_batch_analysis_runs_on_the_blank_pipeline():
    batch = BatchAnalyzerEngine(analyzer_engine=get_analyzer())
    texts = ["手机13812345678", "no personal data", "mail a@example.com"]
    results = list(batch.analyze_iterator(texts, language="zh", batch_size=2))
    # Raw analyzer output: scan_text() is what drops the URL inside the address.
    assert [sorted(r.entity_type for r in found) for found in results] == [
        ["CN_MOBILE"],
        [],
        ["EMAIL_ADDRESS", "URL"],
    ]
