"""The backtest's HTML report, opened in Debian's headless Chromium.

A small archive (six messages of the realistic corpus, one unreadable file) is backtested and
its report opened as a file: the title, a rule's row with its count, the charts drawn (SVG
with a real size), the stylesheet applied under the report's own Content-Security-Policy, no
console errors and no request for anything but the file itself.  The screenshot lands in
tests/artifacts/backtest-report.png for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from milter.backtest.judge import Settings
from milter.backtest.report import as_html
from milter.backtest.run import backtest
from tests.support.browser import Browser, browser  # noqa: F401  (the fixture)
from tests.unit.content.corpus_harness import NOW, POLICY, ROOT

CORPUS = ROOT / "tests" / "corpus" / "realistic"
SAMPLE = (
    "casetool_plain_01.eml",
    "casetool_html_01.eml",
    "invoice_01.eml",
    "meeting_planning_01.eml",
    "newsletter_01.eml",
    "voicemail_01.eml",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("html")
    src = tmp / "archive"
    src.mkdir()
    for name in SAMPLE:
        shutil.copy(CORPUS / name, src / name)
    (src / "zz-empty.eml").write_bytes(b"")
    settings = Settings(str(ROOT / "policies" / "example.yaml"), POLICY.sha256, NOW)
    doc = backtest([str(src)], settings, POLICY, jobs=1).to_json()
    path = tmp / "report.html"
    path.write_text(as_html(doc), "utf-8")
    return path, doc


class TestHtmlReport:
    def test_opens_clean(self, browser: Browser, report: tuple[Path, dict[str, Any]]) -> None:  # noqa: F811
        """The report loads with its title, no console errors and no request but its own file."""
        path, _ = report
        browser.open(path.as_uri())
        assert browser.driver.title == "Postwarden backtest: Samen Veilig Midden-Nederland"
        assert browser.console_errors() == []
        assert browser.requested_urls() == [path.as_uri()]
        shot = browser.screenshot("backtest-report.png")
        assert shot.stat().st_size > 10_000

    def test_rule_rows_and_counts(
        self,
        browser: Browser,  # noqa: F811
        report: tuple[Path, dict[str, Any]],
    ) -> None:
        """Each rule has a row in the per-rule table with its message count from the run."""
        path, doc = report
        browser.open(path.as_uri())
        rows = {
            cells[0].text: cells[1].text
            for row in browser.driver.find_elements(By.CSS_SELECTOR, "table tr")
            if (cells := row.find_elements(By.TAG_NAME, "td"))
        }
        assert doc["rules"], "the sample holds client data: some rule must act"
        for rule in doc["rules"]:
            assert rows[rule["rule"]] == str(rule["messages"])
        assert rows["client-data-external"] == "2"
        assert "zz-empty.eml" in browser.driver.page_source

    def test_charts_render_and_style_applies(
        self,
        browser: Browser,  # noqa: F811
        report: tuple[Path, dict[str, Any]],
    ) -> None:
        """Every chart is an SVG with a real size and bars in it, and the stylesheet (allowed by
        its hash in the page's CSP) is applied."""
        path, _ = report
        browser.open(path.as_uri())
        charts = browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) == 4
        for chart in charts:
            assert chart.size["width"] > 100 and chart.size["height"] > 10
        bars = browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")
        assert bars and all(b.size["width"] > 0 and b.size["height"] > 0 for b in bars)
        card = browser.driver.find_element(By.CSS_SELECTOR, ".card")
        assert card.value_of_css_property("border-top-style") == "solid"
        assert browser.console_errors() == []
