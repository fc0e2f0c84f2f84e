"""A deployment that finished with failed nodes, in a real browser: the page says what can be done next, offers
Retry failed nodes to those who may (and says who may to the others), and the retry runs the node again until
the deployment ends succeeded."""
from selenium.webdriver.common.by import By

from test_ui import act_on, text_of, wait_for


def test_a_deployment_that_finished_with_failures_is_retried_from_its_page(server, browser):
    # kafka-prod-3 fails its health check while `bad` is in its folder (conftest).
    deployment = server.deploy("rollout", {"nodes": ["kafka-test-1", "kafka-prod-3"]}, parameters={"version": "1.0.0"})
    assert server.wait_final(deployment) == "finished_with_failures"

    # Someone who may only read sees what would be possible, and who may do it; no button that would fail.
    server.sign_in(browser, name="vic", role="viewer")
    browser.get(f"{server.url}/deployments/{deployment}")
    next_step = text_of(browser, "the next step", "#next-step")
    assert "finished with 1 node failed" in next_step
    assert "Retry failed nodes (1): people with the operator role" in next_step
    assert not browser.find_elements(By.ID, "action-retry")
    browser.delete_all_cookies()

    server.sign_in(browser, name="otto", role="operator")
    browser.get(f"{server.url}/deployments/{deployment}")
    wait_for(browser, "the badge", lambda b: "finished with failures" in b.find_element(By.CSS_SELECTOR, "h1 .badge").text)
    assert "retry" in text_of(browser, "the next step", "#next-step")
    (server.root / "data" / "nodes" / "kafka-prod-3" / "bad").unlink()
    act_on(browser, "the Retry failed nodes button", "#action-retry", lambda e: e.click())
    wait_for(browser, "the deployment to end succeeded",
             lambda b: "succeeded" in b.find_element(By.CSS_SELECTOR, "h1 .badge").text or (b.refresh() and False), timeout=60)
    assert server.status(deployment) == "succeeded"
    events = server.api("GET", f"/api/v1/deployments/{deployment}/events?limit=100")["events"]
    assert any(e["kind"] == "action.retry" and e["actor"] == "otto" for e in events)
