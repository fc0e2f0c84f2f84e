"""Takes the UI screenshots of docs/screenshots from a running demo (see scripts/screenshots.sh)."""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "Browser"))
from conftest import chrome  # noqa: E402  (the browser suite's Chromium settings)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PASSWORD = "screenshots only, not a real password"
TOKEN = {}


def api(url, method="GET", body=None, auth=None):
    headers = {"Content-Type": "application/json", "Authorization": auth or f"Bearer {TOKEN['admin']}"}
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = tempfile.mkdtemp(prefix="waveline-shots-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = subprocess.Popen([os.environ["WAVELINE_BIN"], "demo", "--port", str(port), "--data", root + "/demo", "--pace", "0.6"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "WAVELINE_INITIAL_ADMIN_PASSWORD": PASSWORD})
    driver = None
    try:
        for line in demo.stdout:
            if "demo is running" in line or "could not start" in line:
                break
        basic = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        TOKEN["admin"] = api(base + "/api/v1/tokens", "POST", {"name": "screenshots", "expiresInDays": 1}, auth=basic)["token"]
        api(base + "/api/v1/users", "POST", {"name": "maria", "grants": [{"role": "operator"}]})
        maria = api(base + "/api/v1/tokens", "POST", {"name": "screenshots", "expiresInDays": 1, "user": "maria"})["token"]
        # Let the Kafka rollout reach its failure point and finish.
        deadline = time.time() + 120
        while time.time() < deadline and api(base + "/api/v1/deployments/1")["deployment"]["status"] not in ("failed", "succeeded", "halted"):
            time.sleep(0.5)
        # Something in progress for the summary: a slow restart of the prod Valkey nodes, one by one.
        api(base + "/api/v1/deployments", "POST", {
            "operation": "restart", "selection": {"products": ["mongodb"]},
            "strategy": "one-by-one", "reason": "Apply the kernel update", "ticket": "CHG-2057",
        }, auth=f"Bearer {maria}")
        time.sleep(2)
        driver = chrome(1280, 900)
        driver.get(base + "/login")
        driver.save_screenshot(str(out / "sign-in.png"))
        driver.find_element("id", "user").send_keys("admin")
        driver.find_element("id", "password").send_keys(PASSWORD)
        driver.find_element("id", "sign-in").click()
        time.sleep(1)
        pages = [
            ("summary", "/"),
            ("deployment-failure", "/deployments/1"),
            ("node-log", "/deployments/1/nodes/kafka-prod-5"),
            ("inventory", "/inventory"),
            ("audit", "/audit"),
        ]
        for name, path in pages:
            # The viewport set exactly (not the window, whose frame takes a share): the whole page, capped.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            driver.get(base + path)
            time.sleep(1.0)
            height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": min(max(height, 700), 2400), "deviceScaleFactor": 1, "mobile": False})
            time.sleep(0.5)
            driver.save_screenshot(str(out / f"{name}.png"))
            print(f"wrote {out / (name + '.png')}")
        # A phone (390 px wide, as an iPhone 12-15 shows pages): the deployment and the failing node's log.
        phone_pages = [
            ("deployment-phone", "/deployments/1"),
            ("node-log-phone", "/deployments/1/nodes/kafka-prod-5"),
        ]
        for name, path in phone_pages:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
            driver.get(base + path)
            time.sleep(1.0)
            height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": min(max(height, 844), 2400), "deviceScaleFactor": 1, "mobile": True})
            time.sleep(0.5)
            driver.save_screenshot(str(out / f"{name}.png"))
            print(f"wrote {out / (name + '.png')}")
    finally:
        if driver:
            driver.quit()
        demo.terminate()
        try:
            demo.wait(timeout=15)
        except subprocess.TimeoutExpired:
            demo.kill()
        # The demo's simulated services, which outlive it when it is stopped by a signal.
        for pid_file in Path(root).glob("demo/nodes/*/run/service.pid"):
            try:
                os.kill(int(pid_file.read_text().strip()), 15)
            except (ValueError, OSError):
                pass
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
