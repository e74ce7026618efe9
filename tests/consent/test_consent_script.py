"""The banner script as served: within its gzip budget, cacheable, and safely minified."""

from __future__ import annotations

import gzip
from collections.abc import Callable

from fastapi.testclient import TestClient

from privacyops.consent import script

BUDGET = 8 * 1024


def test_the_served_script_fits_the_gzip_budget(new_client: Callable[[], TestClient]) -> None:
    response = new_client().get("/consent.js", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    size = len(gzip.compress(response.content, compresslevel=9))
    print(f"consent.js: {len(response.content)} bytes minified, {size} bytes gzipped")
    assert size <= BUDGET, f"{size} bytes gzipped, budget {BUDGET}"


def test_a_gzip_capable_browser_gets_the_precompressed_bytes(
    new_client: Callable[[], TestClient],
) -> None:
    client = new_client()
    response = client.get("/consent.js", headers={"accept-encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) <= BUDGET
    again = client.get("/consent.js", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304


def test_the_minifier_drops_only_whole_line_comments() -> None:
    source = (
        "/*\n * block\n */\nvar a = 1; // kept: not a whole line\n  // gone\n\n  var b = '//x';\n"
    )
    assert script.minify(source) == "var a = 1; // kept: not a whole line\nvar b = '//x';\n"


def test_the_script_reads_gpc_before_it_fetches_anything() -> None:
    text = script.SOURCE.read_text(encoding="utf-8")
    assert text.index("navigator.globalPrivacyControl") < text.index("fetch(")
