"""Every page as people use it: axe-core (WCAG 2.1 A and AA) finds nothing on any page in any state, and at a
phone's width (390 px) no page scrolls sideways, wide content scrolls in its own labelled box, and a log line's
message gets most of the width.

The states: signed out; an empty summary; then a deployment waiting for a second person's approval, one waiting at
a manual gate, one halted with a failure point (retry and skip buttons), one finished with a failure, and one
running (a live grid, a log being written)."""
import importlib.util
import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import INVENTORY, Server

TIMEOUT = 30

# The sample inventory plus a protected environment, where a deployment waits for a second person.
PROTECTED_INVENTORY = INVENTORY.replace("  - {name: prod}\n", "  - {name: prod}\n  - {name: live, protected: true}\n") + """\
  - name: valkey-live
    product: valkey
    environment: live
    zones: [zone-a]
    nodes:
      - {name: valkey-live-1, zone: zone-a}
"""

# Writes a line a second for a minute: a deployment that is still running while the pages are checked.
SLOW = """\
name: slow
steps:
  - {name: work, shell: 'for i in $(seq 1 60); do echo "working on $WAVELINE_NODE, step $i of 60"; sleep 1; done'}
"""

# No failure tolerated: the first failed node halts the deployment (retry and skip are offered).
STRICT = """\
name: strict
failure_budget: 0
phases:
  - {name: all, size: rest, batch_size: 100%, parallelism: 10}
"""

ACTIVE = ("pending_approval", "queued", "running", "rolling_back")

# What the browser suite checks with axe-core: the WCAG 2.0 and 2.1 rules of levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script():
    """axe-core as shipped in the `axe-playwright-python` package (scripts/browser-env.sh installs it without
    Playwright, so the package is not imported: its file is read)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        pytest.fail("axe-playwright-python is not installed: run the suite through scripts/browser-tests.sh")
    return (Path(spec.origin).parent / "axe.min.js").read_text()


def wait_until(what, condition, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


UNREACHABLE_SLACK = """\
public_url: http://127.0.0.1
slack:
  bot_token: env:WL_A11Y_SLACK_TOKEN
  signing_secret: env:WL_A11Y_SLACK_SIGNING
  api_url: http://127.0.0.1:9/api
  channels: {default: C0DEPLOYS1}
"""


@pytest.fixture(scope="module")
def scene():
    """A server with one deployment in each state the pages show, and its pages by name."""
    root = tempfile.mkdtemp(prefix="waveline-a11y-")
    # Slack configured but unreachable: every deployment page has a Notifications panel whose rows wait to retry.
    server = Server(root, inventory=PROTECTED_INVENTORY, operations={"slow": SLOW}, strategies={"strict": STRICT},
                    integrations=UNREACHABLE_SLACK,
                    environment={"WL_A11Y_SLACK_TOKEN": "xoxb-a11y-test-token", "WL_A11Y_SLACK_SIGNING": "a11y-signing-secret"})
    try:
        server.user("ada", role="admin", password="ada's long password")
        finished = server.deploy("rollout", {"nodes": ["kafka-prod-3", "kafka-prod-4"]}, parameters={"version": "3.8.0"},
                                 reason="Roll Kafka 3.8.0", requested_by="bob")
        wait_until("the finished deployment", lambda: server.status(finished) not in ACTIVE)
        halted = server.deploy("rollout", {"nodes": ["kafka-prod-3"]}, strategy="strict", parameters={"version": "3.8.1"},
                               reason="Try 3.8.1 on one node", requested_by="bob")
        wait_until("the halted deployment", lambda: server.status(halted) == "halted")
        gated = server.deploy("rollout", {"nodes": ["kafka-test-1", "kafka-test-2"]}, strategy="gated",
                              parameters={"version": "3.8.0"}, reason="Canary first", requested_by="carol")
        wait_until("the gate", lambda: any(p["status"] == "gate" for p in server.api("GET", f"/api/v1/deployments/{gated}")["phases"]))
        approval = server.deploy("chatty", {"nodes": ["valkey-live-1"]}, reason="Count on live", requested_by="ana")
        assert server.status(approval) == "pending_approval"
        running = server.deploy("slow", {"nodes": ["kafka-prod-1", "kafka-prod-2", "valkey-test-1"]}, reason="A long job",
                                requested_by="dan")
        wait_until("lines of the running node", lambda: server.api("GET", f"/api/v1/deployments/{running}/logs?node=kafka-prod-1")["lines"])
        pages = {
            "summary": "/",
            "summary filtered": "/?state=finished_with_failures",
            "deployment running": f"/deployments/{running}",
            "deployment at a gate": f"/deployments/{gated}",
            "deployment waiting for approval": f"/deployments/{approval}",
            "deployment halted": f"/deployments/{halted}",
            "deployment finished with a failure": f"/deployments/{finished}",
            "node log running": f"/deployments/{running}/nodes/kafka-prod-1",
            "node log failed": f"/deployments/{finished}/nodes/kafka-prod-3",
            "node log searched": f"/deployments/{finished}/nodes/kafka-prod-3?q=9092",
            "inventory": "/inventory",
            "inventory node": "/inventory/nodes/kafka-prod-3",
            "audit": "/audit",
            "audit verified": "/audit?verify=1",
            "not found": "/deployments/999",
        }
        yield server, pages
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def sign_in(server, browser):
    browser.delete_all_cookies()
    browser.get(server.url + "/login")
    browser.find_element(By.ID, "user").send_keys("ada")
    browser.find_element(By.ID, "password").send_keys("ada's long password")
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, TIMEOUT).until(lambda b: b.find_elements(By.ID, "signed-in-user"))


def settle(browser):
    """Waits for the page's script to connect to the live stream (pages without one are ready at once)."""
    deadline = time.time() + 5
    while time.time() < deadline:
        live = browser.execute_script("return document.querySelector('[data-live-events], [data-stream]') !== null")
        if not live or browser.execute_script("return document.documentElement.getAttribute('data-live')") == "on":
            return
        time.sleep(0.1)


def axe_violations(browser, script):
    browser.execute_script(script)
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify([{id: 'axe-error', impact: 'n/a', help: String(e), nodes: []}])));",
        WCAG_TAGS)
    return json.loads(result)


def describe(page, violations):
    lines = []
    for violation in violations:
        lines.append(f"{page}: {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        for node in violation.get("nodes", [])[:8]:
            lines.append(f"    {' '.join(map(str, node.get('target', [])))}: {node.get('html', '')[:300]}")
            summary = node.get("failureSummary")
            if summary:
                lines.append("      " + summary.replace("\n", "\n      "))
    return "\n".join(lines)


def test_every_page_has_no_axe_violations(scene, browser):
    server, pages = scene
    script = axe_script()
    found = []
    browser.delete_all_cookies()
    browser.get(server.url + "/login")
    found += [describe("sign-in", v) for v in [axe_violations(browser, script)] if v]

    sign_in(server, browser)
    # An empty summary: a filter nothing matches.
    browser.get(server.url + "/?person=nobody-at-all")
    found += [describe("summary, empty", v) for v in [axe_violations(browser, script)] if v]
    for name, path in pages.items():
        browser.get(server.url + path)
        settle(browser)
        if name.startswith("deployment"):
            assert browser.find_elements(By.CSS_SELECTOR, "section.notifications tbody tr"), f"{name}: no notification rows to check"
        violations = axe_violations(browser, script)
        if violations:
            found.append(describe(name, violations))
    assert not found, "axe-core (WCAG 2.1 A/AA) found violations:\n" + "\n".join(found)


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}

# Elements reaching past the viewport's right edge that are not inside a box scrolling on its own; and every box
# that scrolls sideways, with whether a keyboard user can reach and name it.
LAYOUT_PROBE = """
const width = document.documentElement.clientWidth;
const scrolls = el => { const s = getComputedStyle(el).overflowX; return s === 'auto' || s === 'scroll'; };
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
const overflowing = [];
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.right <= width + 1) continue;
  let inside = false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) { if (scrolls(p)) { inside = true; break; } }
  if (!inside) overflowing.push(name(el) + ' right edge at ' + Math.round(box.right) + ' px');
}
const boxes = [];
for (const el of document.body.querySelectorAll('*')) {
  if (scrolls(el) && el.scrollWidth > el.clientWidth + 1) {
    boxes.push({what: name(el), tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'), label: el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')});
  }
}
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, overflowing: overflowing.slice(0, 10), boxes: boxes};
"""


@pytest.fixture
def phone(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_page_fits_a_phone_screen(scene, phone):
    server, pages = scene
    problems = []
    phone.delete_all_cookies()
    checked = [("sign-in", "/login")]
    phone.get(server.url + "/login")
    results = [("sign-in", phone.execute_script(LAYOUT_PROBE))]
    sign_in(server, phone)
    for name, path in pages.items():
        phone.get(server.url + path)
        settle(phone)
        checked.append((name, path))
        results.append((name, phone.execute_script(LAYOUT_PROBE)))
    for name, probe in results:
        if probe["scrollWidth"] > probe["innerWidth"]:
            problems.append(f"{name}: the page is {probe['scrollWidth']} px wide at {probe['innerWidth']} px: {probe['overflowing']}")
        elif probe["overflowing"]:
            problems.append(f"{name}: wider than the screen outside a scrolling box: {probe['overflowing']}")
        for box in probe["boxes"]:
            if box["tabindex"] != "0" or box["role"] != "region" or not box["label"]:
                problems.append(f"{name}: {box['what']} scrolls sideways but is not a focusable, labelled region: {box}")
    assert len(checked) == len(pages) + 1
    assert not problems, "\n".join(problems)


def test_a_log_lines_message_gets_most_of_the_width_on_a_phone(scene, phone):
    server, pages = scene
    sign_in(server, phone)
    phone.get(server.url + pages["node log failed"])
    widths = phone.execute_script("""
        const log = document.getElementById('log');
        const texts = [...log.querySelectorAll('li.line .text')].map(t => t.getBoundingClientRect().width);
        return {log: log.clientWidth, texts: texts};
    """)
    assert widths["texts"], "the log shows no lines"
    narrowest = min(widths["texts"])
    assert narrowest >= 0.75 * widths["log"], f"a log message gets {narrowest:.0f} px of the log's {widths['log']} px"


def contrast(first, second):
    """WCAG contrast ratio of two `rgb(r, g, b)` colors."""
    def luminance(color):
        channels = [int(part) / 255 for part in color[color.index("(") + 1:color.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted([luminance(first), luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_on_the_dark_header(scene, browser):
    from selenium.webdriver.common.keys import Keys
    server, pages = scene
    sign_in(server, browser)
    browser.get(server.url + "/inventory")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    rings = []
    # Every focusable element of the header, reached with the keyboard (so :focus-visible applies).
    for _ in range(8):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focused = browser.execute_script("""
            const e = document.activeElement, header = e.closest('header.top');
            if (!header) return null;
            const s = getComputedStyle(e);
            return {what: e.outerHTML.slice(0, 80), ring: s.outlineColor, width: s.outlineWidth, style: s.outlineStyle,
                    background: getComputedStyle(header).backgroundColor};
        """)
        if focused is None:
            break
        rings.append(focused)
    assert len(rings) >= 3, f"the header's links and button were not reached with Tab: {rings}"
    for ring in rings:
        assert ring["style"] != "none" and ring["width"] != "0px", f"no focus ring on {ring['what']}"
        ratio = contrast(ring["ring"], ring["background"])
        assert ratio >= 3, f"the focus ring of {ring['what']} is at {ratio:.2f}:1 on the header"
