"""Health, the OpenAPI document and its page."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_the_database(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in ("sqlite", "postgresql")


def test_the_openapi_document_lists_the_api(app_client: TestClient) -> None:
    paths = app_client.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/audit/verify" in paths
    assert "/api/v1/auth/login" in paths


def test_the_docs_page_is_served_from_local_assets(app_client: TestClient) -> None:
    page = app_client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert app_client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_privacy_center_speaks_english_and_chinese(app_client: TestClient) -> None:
    assert "Privacy Center" in app_client.get("/?lang=en").text
    assert "隐私中心" in app_client.get("/?lang=zh-CN").text
    assert "隐私中心" in app_client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
