"""Publishing versions, renewed consent on a major change, and the policy pages and files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ROOT

from privacyops.db import Database
from privacyops.policy import versions
from privacyops.policy.loader import parse_declaration
from privacyops.staff.permissions import Role

SOURCE = (ROOT / "policy" / "fstsmart.yaml").read_text(encoding="utf-8")


def bumped(source: str, version: str, change_class: str) -> str:
    """The declaration as a new version, with its entry in the history."""
    text = source.replace('  version: "1.0.0"\n', f'  version: "{version}"\n', 1)
    text = text.replace("  change_class: major\n", f"  change_class: {change_class}\n", 1)
    text = text.replace("  label: V1.0\n", f"  label: V{version}\n", 1)
    entry = (
        f'    - version: "{version}"\n      label: V{version}\n      effective_date: 2026-04-13\n'
        f"      change_class: {change_class}\n"
        "      summary: {en: Revised., zh-CN: 修订。}\n"
    )
    return text.replace("  history:\n", "  history:\n" + entry, 1)


def consented_purpose(source: str) -> str:
    declaration = parse_declaration(source, name="p")
    return next(p.key for p in declaration.purposes if p.requires_consent)


def test_publishing_keeps_the_text_its_hash_and_both_pages(db: Database) -> None:
    with db.unit_of_work() as session:
        row = versions.publish(session=session, source=SOURCE, name="p.yaml", actor="test")
    assert row.sha256 == versions.digest(SOURCE)
    assert row.source == SOURCE
    assert "隐私政策" in row.page_zh
    assert "Privacy Policy" in row.page_en


def test_an_unchanged_text_or_a_reused_version_is_refused(db: Database) -> None:
    with db.unit_of_work() as session:
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
    with db.unit_of_work() as session, pytest.raises(versions.PublishError, match="exactly"):
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
    with db.unit_of_work() as session, pytest.raises(versions.PublishError, match="already"):
        versions.publish(session=session, source=SOURCE + "\n# note\n", name="p", actor="t")


def test_a_major_change_to_a_consented_purpose_asks_for_renewed_consent(db: Database) -> None:
    purpose = consented_purpose(SOURCE)
    changed = bumped(SOURCE, "2.0.0", "major").replace(
        f"  - key: {purpose}\n", f"  - key: {purpose}\n    # reworded\n", 1
    )
    declaration = parse_declaration(changed, name="p")
    target = declaration.purpose(purpose)
    old_text = target.description.en
    changed = changed.replace(old_text, old_text + " We now also use it for X.", 1)
    with db.unit_of_work() as session:
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
        row = versions.publish(session=session, source=changed, name="p", actor="test")
    assert row.renew_consent_for == [purpose]


def test_a_minor_change_asks_for_nothing(db: Database) -> None:
    with db.unit_of_work() as session:
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
        row = versions.publish(
            session=session, source=bumped(SOURCE, "1.0.1", "minor") + "\n", name="p", actor="t"
        )
    assert row.renew_consent_for == []


def test_the_diff_names_what_changed(db: Database) -> None:
    purpose = consented_purpose(SOURCE)
    declaration = parse_declaration(SOURCE, name="p")
    old_text = declaration.purpose(purpose).description.en
    changed = bumped(SOURCE, "1.1.0", "minor").replace(old_text, old_text + " More.", 1)
    with db.unit_of_work() as session:
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
        versions.publish(session=session, source=changed, name="p", actor="test")
        result = versions.diff(session=session, old="1.0.0", new="1.1.0")
    assert result.purposes_changed == [purpose]
    assert "More." in result.text


def test_the_public_page_lists_every_version_and_shows_old_ones(
    app_client: TestClient, db: Database
) -> None:
    with db.unit_of_work() as session:
        versions.publish(session=session, source=SOURCE, name="p", actor="test")
        versions.publish(
            session=session, source=bumped(SOURCE, "1.0.1", "minor"), name="p", actor="test"
        )
    page = app_client.get("/policy?lang=en")
    assert page.status_code == 200
    assert "/policy/versions/1.0.0" in page.text
    old = app_client.get("/policy/versions/1.0.0?lang=zh-CN")
    assert old.status_code == 200
    assert "隐私政策" in old.text
    assert app_client.get("/policy/versions/9.9.9").status_code == 404


def test_a_privacy_officer_publishes_from_the_console(
    staff_client: Callable[[Role], TestClient], db: Database
) -> None:
    dpo = staff_client(Role.PRIVACY_OFFICER)
    home = dpo.get("/admin/policy")
    assert "No version has been published yet" in home.text
    token = home.text.split('name="csrf_token" value="')[1].split('"')[0]
    published = dpo.post("/admin/policy/publish", data={"csrf_token": token})
    assert published.status_code == 200
    assert "Published version 1.0.0" in published.text
    with db.unit_of_work() as session:
        assert [v.version for v in versions.list_versions(session=session)] == ["1.0.0"]


def test_a_refused_publish_is_said_in_the_console_language(
    staff_client: Callable[[Role], TestClient],
) -> None:
    dpo = staff_client(Role.PRIVACY_OFFICER)
    token = dpo.get("/admin/policy").text.split('name="csrf_token" value="')[1].split('"')[0]
    dpo.post("/admin/policy/publish", data={"csrf_token": token})
    again = dpo.post("/admin/policy/publish?lang=zh-CN", data={"csrf_token": token})
    assert again.status_code == 409
    assert "版本 1.0.0 的文本与此完全相同" in again.text
    english = dpo.post("/admin/policy/publish?lang=en", data={"csrf_token": token})
    assert "version 1.0.0 already has exactly this text" in english.text


def test_the_api_publishes_and_refuses_a_duplicate(
    staff_client: Callable[[Role], TestClient],
) -> None:
    dpo = staff_client(Role.PRIVACY_OFFICER)
    assert dpo.post("/api/v1/policy/versions").status_code == 201
    again = dpo.post("/api/v1/policy/versions")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert dpo.get("/api/v1/policy/versions").json()[0]["version"] == "1.0.0"


@pytest.mark.parametrize("document", ["page", "apple", "datasafety", "ropa", "cookies"])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_derived_document_has_a_console_page(
    staff_client: Callable[[Role], TestClient], document: str, lang: str
) -> None:
    auditor = staff_client(Role.AUDITOR)
    response = auditor.get(f"/admin/policy/{document}?lang={lang}")
    assert response.status_code == 200
    assert "<table" in response.text or "<article" in response.text


def test_the_data_safety_download_has_the_play_console_header(
    staff_client: Callable[[Role], TestClient],
) -> None:
    auditor = staff_client(Role.AUDITOR)
    response = auditor.get("/api/v1/policy/datasafety.csv")
    template = ROOT / "src" / "privacyops" / "policy" / "data" / "datasafety_template.csv"
    expected = next(csv.reader(io.StringIO(Path(template).read_text(encoding="utf-8"))))
    assert next(csv.reader(io.StringIO(response.text))) == expected
    assert "attachment" in response.headers["content-disposition"]


def test_records_of_processing_download_in_both_languages(
    staff_client: Callable[[Role], TestClient],
) -> None:
    auditor = staff_client(Role.AUDITOR)
    for lang in ("en", "zh-CN"):
        response = auditor.get(f"/admin/policy/files/ropa.csv?lang={lang}")
        assert response.status_code == 200
        assert len(list(csv.reader(io.StringIO(response.text)))) > 10


def test_the_cookie_table_is_public(app_client: TestClient) -> None:
    rows = app_client.get("/api/v1/policy/cookies?lang=en").json()
    assert {row["category"] for row in rows} >= {"necessary"}
