"""/api/docs in a real browser: Swagger UI renders every operation of the OpenAPI
document, under a CSP that keeps scripts to our own files."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from wom.web.api.openapi import document

pytestmark = pytest.mark.browser

# The paths' operations and the webhooks wom sends (Swagger UI shows both).
OPERATIONS = sum(
    len(methods)
    for section in ("paths", "webhooks")
    for methods in document()[section].values()
)


def test_swagger_ui_renders_every_operation_without_csp_violations(page, screenshots):
    page.goto("/api/docs")
    blocks = page.locator(".swagger-ui .opblock")
    expect(blocks).to_have_count(OPERATIONS, timeout=15_000)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("wom API")
    page.locator(".opblock-summary-path", has_text="/events").first.click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    page.screenshot(path=screenshots / "api-docs.png", full_page=False)
    assert page.csp_violations == []
    assert page.dialogs == []
