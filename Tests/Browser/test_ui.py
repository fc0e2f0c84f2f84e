"""The web UI in a real browser against a real server: live summary and node grid, a failing node's log, a
manual gate approved from the page, the log following as it is written, and the summary's filters."""
import time

from selenium.common.exceptions import StaleElementReferenceException, NoSuchElementException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 30


def wait_for(browser, what, condition, timeout=TIMEOUT):
    """Polls `condition(browser)` (live regions replace their elements, so stale references just retry)."""
    def attempt(driver):
        try:
            return condition(driver)
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.1).until(attempt, message=f"timed out waiting for {what}")
    except TimeoutException:
        # What the page showed instead: the first thing one needs to read a failure from CI.
        print(f"while waiting for {what}: {browser.current_url}\n{browser.find_element(By.TAG_NAME, 'body').text[:3000]}")
        raise


def act_on(browser, what, selector, action):
    """Finds and acts on an element in one try, retried: a live region may replace it in between."""
    def attempt(driver):
        action(driver.find_element(By.CSS_SELECTOR, selector))
        return True
    wait_for(browser, what, attempt)


def text_of(browser, what, selector):
    """Reads an element's text in one try, retried: a live region may replace it between find and read."""
    def attempt(driver):
        return driver.find_element(By.CSS_SELECTOR, selector).text or None
    return wait_for(browser, what, attempt)


def texts_of(browser, what, selector):
    """Reads the texts of all matching elements in one try, retried like `text_of`."""
    return wait_for(browser, what, lambda b: [e.text for e in b.find_elements(By.CSS_SELECTOR, selector)] or None)


def mark_page(browser):
    """Sets a variable that a reload would lose: proof that later changes arrived live."""
    browser.execute_script("window.__wavelineNoReload = 'still here'")


def not_reloaded(browser):
    return browser.execute_script("return window.__wavelineNoReload") == "still here"


def live_ready(browser):
    wait_for(browser, "the live connection", lambda b: b.execute_script("return document.documentElement.getAttribute('data-live')") == "on")
    time.sleep(0.3)  # the EventSource opens right after


def node_status(browser, node):
    cells = browser.find_elements(By.CSS_SELECTOR, f'li.node[data-node="{node}"]')
    return cells[0].get_attribute("data-status") if cells else None


def test_summary_and_grid_change_live_then_a_gate_is_approved_and_the_failure_is_found_in_the_log(server, browser):
    # Signed out, the page asks to sign in; signed in as an approver, it shows who.
    browser.get(server.url + "/")
    wait_for(browser, "the sign-in page", lambda b: "/login" in b.current_url)
    server.sign_in(browser)
    wait_for(browser, "the summary", lambda b: b.find_elements(By.ID, "signed-in-user"))
    assert browser.find_element(By.ID, "signed-in-user").text == "vera"
    assert "No deployment in progress" in browser.find_element(By.ID, "live").text
    live_ready(browser)
    mark_page(browser)

    deployment = server.deploy("rollout", {"products": ["kafka"]}, strategy="gated", parameters={"version": "3.8.0"},
                               reason="Roll Kafka 3.8.0", requested_by="ana")
    # The new deployment appears on the open summary, then moves, without a reload.
    card = f"#deployment-{deployment}"
    wait_for(browser, "the new deployment on the summary", lambda b: b.find_elements(By.CSS_SELECTOR, card))
    text = text_of(browser, "the new deployment's card", card)
    assert "rollout" in text and "Roll Kafka 3.8.0" in text and "ana" in text and "CHG-1" in text
    wait_for(browser, "the gate note on the summary",
             lambda b: "Waiting for approval" in b.find_element(By.CSS_SELECTOR, card).text)
    assert not_reloaded(browser)

    # The deployment page: the grid is grouped by cluster and zone; the gate waits with an Approve button.
    act_on(browser, "the link to the deployment", f"{card} h3 a", lambda e: e.click())
    wait_for(browser, "the deployment page", lambda b: b.find_elements(By.ID, "nodes-heading"))
    clusters = texts_of(browser, "the cluster headings", "section.cluster h3")
    assert any(c.startswith("kafka-prod") for c in clusters) and any(c.startswith("kafka-test") for c in clusters)
    zones = texts_of(browser, "the zone headings", "section.cluster .zone h4")
    assert "zone-a" in zones and "zone-b" in zones
    wait_for(browser, "the Approve button", lambda b: b.find_element(By.ID, "approve"))
    assert node_status(browser, "kafka-prod-3") == "pending"
    # Keyboard: the button takes focus and Enter submits it.
    act_on(browser, "the Approve button", "#approve", lambda e: e.send_keys(Keys.ENTER))

    wait_for(browser, "the message of the approval", lambda b: "Approved the gate" in b.find_element(By.CSS_SELECTOR, "[role=status]").text)
    live_ready(browser)
    mark_page(browser)
    # The rest runs: nodes go running, then the faulty one fails — seen live in the grid.
    wait_for(browser, "a node running in the grid", lambda b: b.find_elements(By.CSS_SELECTOR, 'li.node[data-status="running"]'))
    wait_for(browser, "kafka-prod-3 failed in the grid", lambda b: node_status(b, "kafka-prod-3") == "failed")
    wait_for(browser, "the final state", lambda b: "finished with failures" in b.find_element(By.CSS_SELECTOR, "h1 .badge").text)
    cell = text_of(browser, "the failed node's cell", 'li.node[data-node="kafka-prod-3"]')
    assert "health (exit 7)" in cell and "failed" in cell
    assert "port 9092 refused" in text_of(browser, "the failures", "section.failures")
    assert not_reloaded(browser)

    # The failing node's log: the failure line, marked stderr, between step boundaries.
    act_on(browser, "the failed node's link", 'li.node[data-node="kafka-prod-3"] a', lambda e: e.click())
    wait_for(browser, "the node log", lambda b: b.find_elements(By.ID, "log"))
    failure_lines = [li for li in browser.find_elements(By.CSS_SELECTOR, "#log li.stream-stderr") if "port 9092 refused" in li.text]
    assert failure_lines, "the failure line is not in the log"
    assert "err" in failure_lines[0].find_element(By.CSS_SELECTOR, ".tag").text
    boundaries = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#log li.boundary")]
    assert any("▶" in b and "health" in b for b in boundaries) and any("■" in b for b in boundaries)
    assert "Failed at post-check health" in browser.find_element(By.CSS_SELECTOR, ".failure-point").text

    # Search as you type hides the other lines.
    search = browser.find_element(By.ID, "q")
    search.send_keys("9092")
    wait_for(browser, "the filtered log", lambda b: len([li for li in b.find_elements(By.CSS_SELECTOR, "#log li") if li.is_displayed()]) == 1)
    assert "1 matching lines" in browser.find_element(By.ID, "search-count").text


def test_a_nodes_log_streams_as_it_is_written(server, browser):
    server.sign_in(browser)
    deployment = server.deploy("chatty", {"nodes": ["valkey-test-1"]})
    deadline = time.time() + 10
    while time.time() < deadline and not any(l["text"].startswith("tick") for l in server.api("GET", f"/api/v1/deployments/{deployment}/logs?node=valkey-test-1")["lines"]):
        time.sleep(0.1)
    browser.get(f"{server.url}/deployments/{deployment}/nodes/valkey-test-1")
    first = len(browser.find_elements(By.CSS_SELECTOR, "#log li.stream-stdout"))
    assert first < 25
    mark_page(browser)
    wait_for(browser, "the last line, streamed",
             lambda b: any(li.text.endswith("tick 25") for li in b.find_elements(By.CSS_SELECTOR, "#log li.stream-stdout")))
    ticks = [li.find_element(By.CSS_SELECTOR, ".text").text for li in browser.find_elements(By.CSS_SELECTOR, "#log li.stream-stdout")]
    assert ticks == [f"tick {i}" for i in range(1, 26)], "lines missing or repeated"
    wait_for(browser, "the end of the log", lambda b: "the log is complete" in b.find_element(By.ID, "log-status").text)
    assert not_reloaded(browser)


def test_the_summary_filters(server, browser):
    failing = server.deploy("rollout", {"nodes": ["kafka-prod-3"]}, parameters={"version": "1.0.0"}, requested_by="bob")
    passing = server.deploy("chatty", {"nodes": ["valkey-test-1"]}, requested_by="carol")
    assert server.wait_final(failing) == "finished_with_failures"
    assert server.wait_final(passing) == "succeeded"
    server.sign_in(browser)
    browser.get(server.url + "/")
    assert browser.find_elements(By.ID, f"deployment-{failing}") and browser.find_elements(By.ID, f"deployment-{passing}")

    Select(browser.find_element(By.ID, "filter-state")).select_by_value("finished_with_failures")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(browser, "the filtered summary", lambda b: "state=finished_with_failures" in b.current_url)
    assert browser.find_elements(By.ID, f"deployment-{failing}")
    assert not browser.find_elements(By.ID, f"deployment-{passing}")
    failure = browser.find_element(By.CSS_SELECTOR, f"#deployment-{failing} .failures").text
    assert "kafka-prod-3" in failure and "health" in failure and "exit code 7" in failure and "port 9092 refused" in failure

    person = browser.find_element(By.ID, "filter-person")
    Select(browser.find_element(By.ID, "filter-state")).select_by_value("")
    person.send_keys("carol")
    person.submit()
    wait_for(browser, "the summary filtered by person", lambda b: "person=carol" in b.current_url)
    assert browser.find_elements(By.ID, f"deployment-{passing}")
    assert not browser.find_elements(By.ID, f"deployment-{failing}")

    # Keyboard: the skip link comes first.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
