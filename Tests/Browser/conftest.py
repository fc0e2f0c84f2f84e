"""Fixtures of the browser suite: a real `waveline serve` on a free port over a temporary inventory, catalog
and strategies, and one headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium 4."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]

INVENTORY = """\
environments:
  - {name: test}
  - {name: prod}
products:
  - {name: kafka, owner: streaming}
  - {name: valkey, owner: caching}
clusters:
  - name: kafka-test
    product: kafka
    environment: test
    zones: [zone-a]
    nodes:
      - {name: kafka-test-1, zone: zone-a}
      - {name: kafka-test-2, zone: zone-a}
  - name: kafka-prod
    product: kafka
    environment: prod
    zones: [zone-a, zone-b]
    nodes:
      - {name: kafka-prod-1, zone: zone-a}
      - {name: kafka-prod-2, zone: zone-b}
      - {name: kafka-prod-3, zone: zone-a}
      - {name: kafka-prod-4, zone: zone-b}
  - name: valkey-test
    product: valkey
    environment: test
    zones: [zone-a]
    nodes:
      - {name: valkey-test-1, zone: zone-a}
"""

# A node with a `bad` file fails its health check with a recognisable line on stderr.
ROLLOUT = """\
name: rollout
idempotent: true
parameters:
  - {name: version, type: string, required: true}
steps:
  - {name: stop, shell: 'echo "stopping $WAVELINE_NODE"; sleep 0.4'}
  - {name: install, shell: 'echo "installing $WAVELINE_PARAM_VERSION"; sleep 0.4'}
post_checks:
  - {name: health, shell: 'if [ -f bad ]; then echo "health check failed on $WAVELINE_NODE: port 9092 refused" >&2; exit 7; fi; echo healthy'}
"""

# Prints a numbered line every 0.2 s: a log to watch grow.
CHATTY = """\
name: chatty
steps:
  - {name: count, shell: 'for i in $(seq 1 25); do echo "tick $i"; sleep 0.2; done'}
"""

# Each node waits until the test puts a `go` file in its folder (`Server.release`): a run that moves when told.
HOLD = """\
name: hold
steps:
  - {name: wait, shell: 'while [ ! -f go ]; do sleep 0.05; done; echo released'}
"""

GATED = """\
name: gated
failure_budget: 5
phases:
  - {name: canary, size: 1, gate: manual, failure_budget: 0}
  - {name: rest, size: rest, batch_size: 100%, parallelism: 10}
"""


def binary():
    path = os.environ.get("WAVELINE_BIN") or str(ROOT / ".build" / "debug" / "waveline")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no waveline binary at {path}: run `swift build` first or set WAVELINE_BIN")
    return path


ADMIN_TOKEN = "wl_browser_test_admin_token_0123456789abcdef"


class Server:
    """A running `waveline serve` and a small JSON client of its API (as admin, or as a user it makes)."""

    def __init__(self, root, inventory=INVENTORY, operations=None, strategies=None, integrations=None, environment=None):
        """`operations` and `strategies` (name: YAML) are added to the sample catalog and strategies;
        `integrations` (YAML) is given to `serve --integrations`, with `environment` for its secret references."""
        self.root = Path(root)
        (self.root / "catalog").mkdir()
        (self.root / "strategies").mkdir()
        (self.root / "inventory.yaml").write_text(inventory)
        for name, text in {"rollout": ROLLOUT, "chatty": CHATTY, "hold": HOLD, **(operations or {})}.items():
            (self.root / "catalog" / f"{name}.yaml").write_text(text)
        for name, text in {"gated": GATED, **(strategies or {})}.items():
            (self.root / "strategies" / f"{name}.yaml").write_text(text)
        bad = self.root / "data" / "nodes" / "kafka-prod-3"
        bad.mkdir(parents=True)
        (bad / "bad").write_text("")
        if integrations:
            (self.root / "integrations.yaml").write_text(integrations)
        self.process = subprocess.Popen(
            [binary(), "serve", "--port", "0", "--data", str(self.root / "data"),
             "--inventory", str(self.root / "inventory.yaml"), "--catalog", str(self.root / "catalog"),
             "--strategies", str(self.root / "strategies"), "--log-level", "warning", "--password-hash-cost", "4"]
            + (["--integrations", str(self.root / "integrations.yaml")] if integrations else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(environment or {}), "WAVELINE_INITIAL_ADMIN_TOKEN": ADMIN_TOKEN},
        )
        self.tokens = {"admin": ADMIN_TOKEN}
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            marker = "listening on http://127.0.0.1:"
            if marker in line:
                self.port = int(line.split(marker, 1)[1].strip())
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("waveline serve exited before listening")
        self.url = f"http://127.0.0.1:{self.port}"

    def api(self, method, path, body=None, user="admin"):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.tokens[user]}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def user(self, name, role="admin", password=None):
        """Makes a user (with a password to sign in to the page, or token-only) and an API token for it."""
        body = {"name": name, "grants": [{"role": role}]}
        if password:
            body["password"] = password
        self.api("POST", "/api/v1/users", body)
        self.tokens[name] = self.api("POST", "/api/v1/tokens", {"name": "browser-test", "user": name})["token"]

    def deploy(self, operation, selection, strategy="all-at-once", parameters=None, reason="browser test",
               requested_by="admin", ticket="CHG-1"):
        if requested_by not in self.tokens:
            self.user(requested_by, role="deployer")
        return self.api("POST", "/api/v1/deployments", {
            "operation": operation, "selection": selection, "parameters": parameters or {}, "strategy": strategy,
            "reason": reason, "ticket": ticket,
        }, user=requested_by)["deployment"]["id"]

    def sign_in(self, browser, name="vera", role="approver"):
        """Signs the browser in through the page, as a person with that role."""
        from selenium.webdriver.common.by import By
        password = f"{name}'s long password"
        if name not in self.tokens:
            self.user(name, role=role, password=password)
        browser.get(self.url + "/login")
        browser.find_element(By.ID, "user").send_keys(name)
        browser.find_element(By.ID, "password").send_keys(password)
        browser.find_element(By.ID, "sign-in").click()
        # The click returns before the answer: a page asked for meanwhile would race the sign-in's redirect.
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(browser, 30, poll_frequency=0.1).until(lambda b: b.find_elements(By.ID, "signed-in-user"),
                                                             message=f"{name} could not sign in")

    def release(self, node):
        """Lets `node`'s step of the `hold` operation finish."""
        folder = self.root / "data" / "nodes" / node
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "go").write_text("")

    def status(self, deployment):
        return self.api("GET", f"/api/v1/deployments/{deployment}")["deployment"]["status"]

    def wait_final(self, deployment, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.status(deployment)
            if status in ("succeeded", "finished_with_failures", "failed", "cancelled", "rolled_back"):
                return status
            time.sleep(0.1)
        raise AssertionError(f"deployment #{deployment} did not finish")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server():
    root = tempfile.mkdtemp(prefix="waveline-browser-")
    running = Server(root)
    yield running
    running.stop()
    shutil.rmtree(root, ignore_errors=True)


def chrome(width=1280, height=1000, javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    if not javascript:
        # Pages' scripts do not run; WebDriver's own commands still do.
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("SE_AVOID_STATS", "true")
    driver = chrome()
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
