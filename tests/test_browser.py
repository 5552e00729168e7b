"""The web application in headless Chromium (Debian package), against a real `monitor serve`.

Drives what a watcher, an admin and a supervisor do; saves the README's screenshots.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.browser import browser, served  # noqa: F401  (fixtures)
from tests.webutil import PASSWORD, demo_template  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The README's screenshots: written into docs/screenshots when UPDATE_SCREENSHOTS=1, else into a
# temporary folder, so an ordinary test run leaves the working tree clean.
DOC_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DAY = "2024-01-21"


def sign_in(page, url, username):
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def new_page(browser, url, username):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="id-ID")
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())  # "are you sure?" confirmations
    sign_in(page, url, username)
    return page


def test_watcher_reviews_the_daily_list(served, browser):
    url, facts, d = served
    SHOTS = DOC_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else d / "screenshots"
    page = new_page(browser, url, "pengawas1")
    page.goto(f"{url}/?date={DAY}")
    rows = page.locator("tr.hit-row")
    total = rows.count()
    assert total > 10
    # every unreviewed hit shows its 7-day registration countdown (the demo was just collected)
    badge = rows.first.locator(".badge[data-days-left]")
    assert badge.inner_text().strip().endswith("hari lagi") and 0 < int(badge.get_attribute("data-days-left")) <= 7
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "daily-list.png"), full_page=False)

    # filter: one platform only
    page.select_option("select[name=platform]", "x")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "platform=x" in page.url
    filtered = page.locator("tr.hit-row")
    assert 0 < filtered.count() < total
    for i in range(filtered.count()):
        assert filtered.nth(i).locator("td").nth(4).inner_text().strip() == "x"

    # an ambiguous hit: confirming needs choosing the person
    for n in (1, 2, 3):
        page.goto(f"{url}/?date={DAY}&page={n}")
        amb = page.locator("tr.hit-row", has=page.locator(".badge.ambiguous")).first
        if amb.count():
            break
    hit_id = amb.get_attribute("data-hit")
    amb.locator("a[href^='/hits/']").click()
    page.wait_for_url(f"{url}/hits/{hit_id}")
    page.screenshot(path=str(SHOTS / "hit-detail.png"), full_page=False)
    assert (SHOTS / "daily-list.png").stat().st_size > 10_000
    radios = page.locator("input[type=radio][name=nip]")
    assert radios.count() >= 2
    chosen = radios.nth(1).get_attribute("value")
    radios.nth(1).check()
    page.locator("form:has(input[name=action][value=confirm]) button[type=submit]").click()
    page.wait_for_load_state()
    assert "dikonfirmasi" in page.locator(".badge").first.get_attribute("class")
    assert chosen in page.content()

    # dismiss another hit with a reason
    page.goto(f"{url}/?date={DAY}&status=baru")
    other = page.locator("tr.hit-row").first
    other_id = other.get_attribute("data-hit")
    other.locator("a[href^='/hits/']").click()
    page.wait_for_url(f"{url}/hits/{other_id}")
    form = page.locator("form:has(input[name=action][value=dismiss])")
    form.locator("select[name=reason_code]").select_option(index=1)
    form.locator("input[name=reason_text]").fill("akun ini milik orang lain, dicek manual")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "ditolak" in page.locator(".badge").first.get_attribute("class")

    # export XLSX of the filtered list and read it back
    page.goto(f"{url}/?date={DAY}&status=dikonfirmasi")
    with page.expect_download() as dl:
        page.click("a[href^='/export.xlsx']")
    data = Path(dl.value.path()).read_bytes()
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    ids = [row[header.index("hit_id")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert ids == [hit_id]
    page.context.close()


def test_admin_edits_a_rule_file(served, browser):
    url, _, _ = served
    page = new_page(browser, url, "admin1")
    page.goto(f"{url}/rules/file?path=kampanye-umum.yaml")
    editor = page.locator("textarea[name=content]")
    original = editor.input_value()
    assert "rules:" in original

    # an error: refused, shown with the line
    import re

    broken = re.sub(r"weight: [0-9.]+", "weight: 2", original, count=1)
    assert broken != original
    editor.fill(broken)
    page.click("button[value=save]")
    page.wait_for_load_state()
    err = page.locator(".rules-errors").inner_text()
    assert "kampanye-umum.yaml:" in err and "weight" in err

    # then a correct edit: backtest first, then save
    lines = original.splitlines()
    idx = next(i for i, line in enumerate(lines) if line.strip().startswith("weight:"))
    indent = lines[idx][: len(lines[idx]) - len(lines[idx].lstrip())]
    lines.insert(idx + 1, f"{indent}enabled: false")
    fixed = "\n".join(lines) + "\n"
    page.locator("textarea[name=content]").fill(fixed)
    page.click("button[value=backtest]")
    page.wait_for_load_state()
    assert page.locator("section.backtest").count() == 1
    page.locator("textarea[name=content]").fill(fixed)
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert page.locator("p.ok[role=status]").count() == 1
    page.context.close()


def test_supervisor_cannot_open_a_hit_outside_their_subtree(served, browser):
    url, facts, d = served
    page = new_page(browser, url, "pengawas1")
    page.goto(f"{url}/?date={DAY}")
    hit_ids = [r.get_attribute("data-hit") for r in page.locator("tr.hit-row").all()]
    page.context.close()
    sup = new_page(browser, url, "atasan1")
    statuses = []
    for hid in hit_ids[:15]:
        resp = sup.goto(f"{url}/hits/{hid}")
        statuses.append(resp.status)
    assert 403 in statuses  # hits of people outside the supervisor's chain (or not yet released)
    assert all(s in (200, 403) for s in statuses)
    sup.context.close()
