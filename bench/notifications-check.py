#!/usr/bin/env python3
"""Part (a) of bench/notifications.sh: waits until the storm's deployments are over and their Slack deliveries
settled, then checks the stand-in's records against each deployment's notifications API and prints the figures.

Usage: notifications-check.py WAVELINE_URL SLACK_URL START_EPOCH REQUESTS_DIR SERVER_PID
Exits 1 when a check fails (the figures are printed either way).
"""
import json
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

url, slack, start, requests_dir, server_pid = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
headers = {"Authorization": "Bearer " + os.environ["WAVELINE_TOKEN"]}
QUIET = 12.0        # seconds without a Slack call after every delivery is final: the parents' last updates are in
DEADLINE = 1800.0   # give up (and say so) after this long


def get(path):
    request = urllib.request.Request(url + path, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def records():
    with urllib.request.urlopen(slack + "/_bench/records", timeout=30) as answer:
        return json.load(answer)["records"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The ids of the requested deployments (the CLI's --json answer of each request, a file each).
ids = [json.load(open(os.path.join(requests_dir, name)))["deployment"]["id"] for name in os.listdir(requests_dir)]
ids.sort()

pool = ThreadPoolExecutor(8)
failures = []

# 1. Every deployment over.
while True:
    details = list(pool.map(lambda i: get(f"/api/v1/deployments/{i}")["deployment"], ids))
    if all(d["status"] not in ("running", "queued", "pending_approval") for d in details):
        break
    if time.time() - start > DEADLINE:
        sys.exit("deployments still running after the deadline")
    time.sleep(0.5)
cpu_at_done = cpu_seconds(server_pid)
statuses = {d["status"] for d in details}
deployments_done = max(d.get("finishedAt") or 0 for d in details)
if statuses != {"succeeded"}:
    failures.append(f"deployments ended {sorted(statuses)}")

# 2. Every Slack delivery final, then quiet: the parents' last updates have gone out.
while True:
    lists = list(pool.map(lambda i: get(f"/api/v1/deployments/{i}/notifications"), ids))
    slack_rows = [n for l in lists for n in l["notifications"] if n["destination"] == "slack"]
    final = all(n["state"] in ("sent", "failed", "skipped") for n in slack_rows) and all(l["thread"] for l in lists)
    seen = records()
    last = max((r["t"] for r in seen), default=start)
    if final and time.time() - last >= QUIET:
        break
    if time.time() - start > DEADLINE:
        failures.append("deliveries still open after the deadline")
        break
    time.sleep(1)
cpu = cpu_seconds(server_pid)

# 3. The checks.
writes = [r for r in seen if r["method"] in ("chat.postMessage", "chat.update")]
posts = [r for r in writes if r["method"] == "chat.postMessage"]


def max_in_window(times, window=1.0):
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def min_gap(times):
    times = sorted(times)
    return min((b - a for a, b in zip(times, times[1:])), default=float("nan"))


by_channel = {}
for r in writes:
    by_channel.setdefault(r["channel"], []).append(r)
rate_posts = max((max_in_window([r["t"] for r in rs if r["method"] == "chat.postMessage"]) for rs in by_channel.values()), default=0)
rate_all = max((max_in_window([r["t"] for r in rs]) for rs in by_channel.values()), default=0)
gap_posts = min((min_gap([r["t"] for r in rs if r["method"] == "chat.postMessage"]) for rs in by_channel.values()), default=float("nan"))
gap_all = min((min_gap([r["t"] for r in rs]) for rs in by_channel.values()), default=float("nan"))
short_gaps = sum(1 for rs in by_channel.values() for a, b in zip(sorted(r["t"] for r in rs), sorted(r["t"] for r in rs)[1:]) if b - a < 1.0)
if rate_all > 1:
    failures.append(f"{rate_all} writes arrived within 1 s on one channel")

markers = [(r["deployment"], r["message"]) for r in posts]
duplicates = len(markers) - len(set(markers))
if duplicates:
    failures.append(f"{duplicates} messages posted twice (same marker)")
unmarked = sum(1 for m in markers if m[0] is None)

outbox_messages = 0
replies_expected = 0
not_sent = 0
for deployment_id, listing in zip(ids, lists):
    rows = [n for n in listing["notifications"] if n["destination"] == "slack"]
    outbox_messages += len(rows)
    not_sent += sum(1 for n in rows if n["state"] != "sent")
    # Replies: the messages with their own Slack message (the others are told by the parent, "parent <ts>").
    replies = [n for n in rows if n["state"] == "sent" and not (n["externalReference"] or "").startswith("parent ")]
    replies_expected += len(replies)
    mine = [r for r in posts if r["deployment"] == str(deployment_id)]
    thread = listing["thread"] or {}
    if not mine or mine[0]["message"] != "parent" or mine[0]["ts"] != thread.get("parentTs"):
        failures.append(f"deployment {deployment_id}: the parent is not the thread's first message")
        continue
    got = [(r["message"], r["ts"]) for r in mine[1:]]
    want = [(n["messageId"], n["externalReference"]) for n in replies]
    if got != want:
        failures.append(f"deployment {deployment_id}: replies {got} at the stand-in, {want} in the API")
    if any(r.get("thread_ts") != thread.get("parentTs") for r in mine[1:]):
        failures.append(f"deployment {deployment_id}: a reply outside its thread")
    updates = [r for r in writes if r["method"] == "chat.update" and r["deployment"] == str(deployment_id)]
    final_text = (updates[-1] if updates else mine[0])["text"]
    if "succeeded" not in final_text.lower():
        failures.append(f"deployment {deployment_id}: the parent's last text does not show the outcome: {final_text!r}")
if not_sent:
    failures.append(f"{not_sent} Slack deliveries not sent")

first = min((r["t"] for r in writes), default=start)
last_post = max((r["t"] for r in posts), default=start)
last_write = max((r["t"] for r in writes), default=start)
load = open("/proc/loadavg").read().split()[0]
updates = len(writes) - len(posts)
print(f"deployments: {len(ids)}, all {'/'.join(sorted(statuses))}; "
      f"outbox messages for Slack: {outbox_messages} ({outbox_messages / max(len(ids), 1):.1f} per deployment)")
print(f"Slack calls: {len(posts)} chat.postMessage ({len(ids)} parents + {len(posts) - len(ids)} replies; "
      f"{replies_expected} replies recorded as sent), {updates} chat.update, {unmarked} without a marker")
print(f"rate on the channel: at most {rate_posts} chat.postMessage and {rate_all} writes of any kind in any 1 s window; "
      f"smallest gap {gap_posts:.3f} s between posts, {gap_all:.3f} s between writes; "
      f"{short_gaps} of {max(len(writes) - 1, 0)} gaps between writes under 1 s")
print(f"lost: {not_sent}   duplicates: {duplicates}   order per deployment: "
      f"{'as in the outbox' if not any('replies' in f for f in failures) else 'WRONG'}")
print(f"time from the requests: last deployment over {deployments_done - start:.1f} s, first Slack call "
      f"{first - start:.1f} s, last reply {last_post - start:.1f} s, last parent update {last_write - start:.1f} s "
      f"(floor at 1 message/s: {len(writes)} writes → {len(writes) - 1} s after the first)")
print(f"server CPU: {cpu_at_done:.1f} s until the last deployment was over, {cpu:.1f} s until the last Slack call; load={load}")
if failures:
    print("FAILED:")
    for f in failures[:20]:
        print("  " + f)
    sys.exit(1)
print("checks: rate ≤ 1/s per channel, nothing lost, no duplicates, order per deployment — all passed")
