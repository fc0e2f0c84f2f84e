"""Live updates as a keyboard and screen reader user meets them: focus and scroll stay where the person left them
while the page changes underneath, one status line is announced, the message of the last action goes once the
state it spoke of has changed; and without JavaScript, Abort asks on a confirmation page first.

The `hold` operation makes each node wait for the test (`server.release`), so every update here is caused by
the test and awaited as an event (the live region's `data-updated` attribute, counted by a MutationObserver),
never by sleeping."""
import pytest
from selenium.webdriver.common.by import By

from conftest import chrome
from test_ui import wait_for, text_of

NODES = ["kafka-test-1", "kafka-test-2", "kafka-prod-1", "kafka-prod-2", "kafka-prod-4", "valkey-test-1"]


def node_order(server, deployment):
    """The nodes in the order one-by-one runs them."""
    detail = server.api("GET", f"/api/v1/deployments/{deployment}")
    return [node for batch in detail["phases"][0]["batches"] for node in batch]


def watch_updates(browser):
    """Waits for the live connection's first update (the script reads the state when its stream opens), then
    counts the updates that follow."""
    wait_for(browser, "the first live update", lambda b: b.execute_script(
        "return document.getElementById('live').hasAttribute('data-updated')"))
    browser.execute_script("""
        window.__updates = 0;
        new MutationObserver(function () { window.__updates++; })
            .observe(document.getElementById('live'), {attributes: true, attributeFilter: ['data-updated']});
    """)


def updates(browser):
    return browser.execute_script("return window.__updates")


def focus(browser, selector):
    """Scrolls the element to the middle of the window and focuses it; keeps a reference to it in the page."""
    browser.execute_script("""
        var el = document.querySelector(arguments[0]);
        el.scrollIntoView({block: 'center'});
        el.focus({preventScroll: true});
        window.__focused = el;
    """, selector)
    return browser.execute_script(
        "return {same: document.activeElement === window.__focused, href: document.activeElement.getAttribute('href'),"
        " scroll: window.scrollY}")


def still_focused(browser):
    return browser.execute_script("""
        var active = document.activeElement;
        return {same: active === window.__focused && active.isSameNode(window.__focused) && document.contains(active),
                href: active.getAttribute('href'), scroll: window.scrollY, tag: active.tagName};
    """)


def release_until(server, browser, order, at_least, through):
    """Releases waiting nodes one at a time, each awaited on the page, at least up to node `through`, until
    `at_least` updates have arrived."""
    released = []
    while through not in released or updates(browser) < at_least:
        assert order, "no node left to release"
        node = order.pop(0)
        released.append(node)
        server.release(node)
        wait_for(browser, f"{node} done on the page",
                 lambda b: b.find_element(By.CSS_SELECTOR, f'li.node[data-node="{node}"]').get_attribute("data-status") == "succeeded")


@pytest.fixture
def short_window(browser):
    """A window lower than the pages, so that they scroll; the shared browser gets its size back after."""
    size = browser.get_window_size()
    browser.set_window_size(1280, 600)
    yield browser
    browser.set_window_size(size["width"], size["height"])


def test_focus_and_scroll_stay_on_a_node_tile_and_a_chip_across_live_updates(server, short_window):
    browser = short_window
    server.sign_in(browser)
    deployment = server.deploy("hold", {"nodes": NODES}, strategy="one-by-one")
    order = node_order(server, deployment)
    browser.get(f"{server.url}/deployments/{deployment}")
    watch_updates(browser)

    # The only announced element is the status line; the region itself has no aria-live.
    assert browser.execute_script("return document.getElementById('live').hasAttribute('aria-live')") is False
    announced = browser.execute_script("return Array.from(document.querySelectorAll('[role=status],[role=alert],[aria-live]')).map(function (e) { return e.id; })")
    assert announced == ["live-status"]
    browser.execute_script("window.__statusLine = document.getElementById('live-status')")
    first_line = text_of(browser, "the status line", "#live-status")
    assert first_line.startswith("Running: phase ") and "0 done" in first_line, first_line

    # A node tile that goes from pending to running to done while it has focus.
    focused_node = order[1]
    tile = f'li.node[data-node="{focused_node}"] a'
    before = focus(browser, tile)
    assert before["same"] and before["scroll"] > 0, before
    release_until(server, browser, order, 3, through=focused_node)
    after = still_focused(browser)
    assert after == {"same": True, "href": before["href"], "scroll": before["scroll"], "tag": "A"}, (before, after)
    assert browser.find_element(By.CSS_SELECTOR, f'li.node[data-node="{focused_node}"]').get_attribute("data-status") == "succeeded", \
        "the focused tile changed under the focus"

    # A chip in the phases' timeline, the same way.
    browser.execute_script("window.__updates = 0")
    chip_node = order[0]
    chip = f'li.chip[data-key="{chip_node}"] a'
    before = focus(browser, chip)
    assert before["same"], before
    release_until(server, browser, order, 3, through=chip_node)
    assert "succeeded" in browser.find_element(By.CSS_SELECTOR, f'li.chip[data-key="{chip_node}"]').get_attribute("class")
    after = still_focused(browser)
    assert after == {"same": True, "href": before["href"], "scroll": before["scroll"], "tag": "A"}, (before, after)

    # The status line is the same element throughout; its words follow the progress.
    assert browser.execute_script("return document.getElementById('live-status') === window.__statusLine")
    done = len(NODES) - len(order)
    wait_for(browser, "the status line to count the nodes done", lambda b: f"{done} done" in b.find_element(By.ID, "live-status").text)
    assert browser.execute_script("return document.querySelectorAll('[role=status],[role=alert],[aria-live]').length") == 1
    for node in order:
        server.release(node)
    assert server.wait_final(deployment) == "succeeded"


def test_focus_stays_on_a_deployment_link_of_the_summary_across_live_updates(server, short_window):
    browser = short_window
    server.sign_in(browser)
    earlier = server.deploy("chatty", {"nodes": ["valkey-test-1"]})
    assert server.wait_final(earlier) == "succeeded"
    deployment = server.deploy("hold", {"nodes": NODES[:5]}, strategy="one-by-one")
    order = node_order(server, deployment)
    browser.get(server.url + "/")
    watch_updates(browser)
    assert browser.execute_script("return document.getElementById('live').hasAttribute('aria-live')") is False
    assert browser.execute_script("return Array.from(document.querySelectorAll('[role=status],[role=alert],[aria-live]')).map(function (e) { return e.id; })") == ["live-status"]
    assert text_of(browser, "the summary's status line", "#live-status") == "1 deployment running."

    link = f"#deployment-{deployment} h3 a"
    before = focus(browser, link)
    assert before["same"], before
    while updates(browser) < 3:
        assert order, "no node left to release"
        node = order.pop(0)
        server.release(node)
        wait_for(browser, f"{node} done on the summary", lambda b, n=len(NODES[:5]) - len(order): f"{n} done" in b.find_element(By.CSS_SELECTOR, f"#deployment-{deployment} .progress-text").text)
    after = still_focused(browser)
    assert after == {"same": True, "href": f"/deployments/{deployment}", "scroll": before["scroll"], "tag": "A"}, (before, after)

    for node in order:
        server.release(node)
    assert server.wait_final(deployment) == "succeeded"
    wait_for(browser, "the summary's status line at the end", lambda b: b.find_element(By.ID, "live-status").text == "No deployment in progress.")


def test_the_message_of_an_action_goes_when_the_state_it_spoke_of_changes(server, browser):
    server.sign_in(browser, name="olga", role="admin")
    deployment = server.deploy("hold", {"nodes": NODES[:3]}, strategy="one-by-one")
    order = node_order(server, deployment)
    server.api("POST", f"/api/v1/deployments/{deployment}/actions/pause", {"reason": "look first"})
    server.release(order.pop(0))
    wait_for(browser, "the pause to take hold", lambda b: server.status(deployment) == "paused")

    browser.get(f"{server.url}/deployments/{deployment}")
    watch_updates(browser)
    browser.find_element(By.ID, "action-resume").click()
    wait_for(browser, "the message of the resume", lambda b: "Resumed on deployment" in b.find_element(By.ID, "flash").text)
    watch_updates(browser)
    assert browser.execute_script("return document.querySelectorAll('[role=status]').length") == 2

    # Still running after the next node: the message stays.
    node = order.pop(0)
    server.release(node)
    wait_for(browser, f"{node} done on the page",
             lambda b: b.find_element(By.CSS_SELECTOR, f'li.node[data-node="{node}"]').get_attribute("data-status") == "succeeded")
    assert browser.find_element(By.ID, "live-status").get_attribute("data-state") == "running"
    assert browser.find_elements(By.ID, "flash"), "the message went while the state it spoke of still holds"

    # Finished: the message of the resume goes; the status line says what holds now.
    for node in order:
        server.release(node)
    wait_for(browser, "the final state on the page", lambda b: b.find_element(By.ID, "live-status").get_attribute("data-state") == "succeeded")
    assert not browser.find_elements(By.ID, "flash")
    assert browser.execute_script("return Array.from(document.querySelectorAll('[role=status],[role=alert],[aria-live]')).map(function (e) { return e.id; })") == ["live-status"]
    assert browser.find_element(By.ID, "live-status").text.startswith("Succeeded")


@pytest.fixture
def browser_without_javascript():
    driver = chrome(javascript=False)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def test_without_javascript_abort_asks_on_a_page_first_and_the_page_says_it_does_not_refresh(server, browser_without_javascript):
    browser = browser_without_javascript
    server.sign_in(browser, name="nora", role="admin")
    wait_for(browser, "the summary", lambda b: b.find_elements(By.ID, "signed-in-user"))
    deployment = server.deploy("hold", {"nodes": ["kafka-test-1"]})
    page = f"{server.url}/deployments/{deployment}"
    browser.get(page)
    # The page's own script did not run (it marks the page live).
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("data-live") is None

    note = browser.find_element(By.ID, "no-script-refresh")
    assert note.is_displayed()
    assert "only with JavaScript" in note.text
    assert note.find_element(By.TAG_NAME, "a").get_attribute("href") == page

    # Abort, then Cancel: nothing happened.
    browser.find_element(By.ID, "action-abort").click()
    wait_for(browser, "the confirmation page", lambda b: b.find_elements(By.ID, "confirm-action"))
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Abort deployment #{deployment}?"
    assert browser.find_element(By.ID, "confirm-action").text == f"Yes, abort deployment #{deployment}"
    assert server.status(deployment) == "running"
    browser.find_element(By.ID, "cancel-action").click()
    wait_for(browser, "the deployment page again", lambda b: b.current_url == page)
    assert server.status(deployment) == "running"

    # Abort, give a reason, confirm: cancelled.
    browser.find_element(By.ID, "action-abort").click()
    wait_for(browser, "the confirmation page", lambda b: b.find_elements(By.ID, "confirm-action"))
    assert server.status(deployment) == "running"
    browser.find_element(By.ID, "confirm-reason").send_keys("wrong node")
    browser.find_element(By.ID, "confirm-action").click()
    wait_for(browser, "the message of the abort", lambda b: "Aborted on deployment" in b.find_element(By.ID, "flash").text)
    assert server.wait_final(deployment) == "cancelled"
