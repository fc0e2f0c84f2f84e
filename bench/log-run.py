#!/usr/bin/env python3
"""One run of bench/log-pipeline.sh: starts a deployment whose one node prints LINES timestamped lines
(bench/log-gen.c, at RATE lines/s, 0 for as fast as the server takes them), follows its log with FOLLOWERS
server-sent-event clients (bench/log-follow.c, one process), and prints

- the durable rate: LINES / (first line written by the program → last line seen in the database by a
  read-only reader polling every 20 ms); the count and the sequence numbers in the database are checked;
- what the followers report: every follower got every line in order, without gaps or duplicates; when the
  first and the last follower had them all; the lag from write to delivery of every line (p50/p99/max);
- the CPU time the followers used;
- catching up: how fast one more follower, connecting after the deployment ended, reads the whole log from the
  store (as a follower does that reconnects far behind, or opens the page of a finished deployment).

    log-run.py URL WAVELINE_BIN DATA_DIR LINES FOLLOWERS FOLLOWER_BIN RATE
"""
import json, resource, sqlite3, subprocess, sys, time
from urllib.parse import urlparse

url, binary, data, lines, followers, follower_bin, rate = sys.argv[1:8]
lines, followers = int(lines), int(followers)
host, port = urlparse(url).hostname, urlparse(url).port

out = subprocess.run([binary, "deploy", "lines", "--cluster", "pipe", "--strategy", "flat", "-p", f"count={lines}",
                      "-p", f"rate={rate}", "--reason", "log pipeline benchmark", "--server", url, "--json"],
                     capture_output=True, text=True)
if out.returncode != 0:
    sys.exit("deploy failed: " + out.stdout + out.stderr)
deployment = json.loads(out.stdout)["deployment"]["id"]

# The node waits 3 s before printing: time for every follower to connect.
before = resource.getrusage(resource.RUSAGE_CHILDREN)
follow = subprocess.Popen([follower_bin, host, str(port), str(deployment), str(lines), str(followers)],
                          stdout=subprocess.PIPE, text=True)

# The durable rate: how soon the last line is in the database (polled read-only, as another reader would).
db = sqlite3.connect(f"file:{data}/waveline.sqlite?mode=ro", uri=True, timeout=30)
# The newest rows by id (the primary key's index, a few rows): filtering on deployment_id made SQLite read and
# sort all of the deployment's lines through log_lines_target on every poll, most of a core by the end.
stored_at = None
last = f"{lines - 1} "
while stored_at is None:
    rows = db.execute("SELECT deployment_id, stream, text FROM log_lines ORDER BY id DESC LIMIT 20").fetchall()
    if any(r[0] == deployment and r[1] == "stdout" and r[2].startswith(last) for r in rows):
        stored_at = time.time()
    else:
        time.sleep(0.02)
report, _ = follow.communicate()
after = resource.getrusage(resource.RUSAGE_CHILDREN)

stored = db.execute("SELECT COUNT(*) FROM log_lines WHERE deployment_id = ? AND stream = 'stdout'", (deployment,)).fetchone()[0]
first_text = db.execute("SELECT text FROM log_lines WHERE deployment_id = ? AND stream = 'stdout' ORDER BY id LIMIT 1",
                        (deployment,)).fetchone()[0]
gaps = db.execute("SELECT COUNT(*) FROM (SELECT seq - LAG(seq) OVER (ORDER BY id) AS d FROM log_lines WHERE deployment_id = ?) "
                  "WHERE d != 1", (deployment,)).fetchone()[0]
t0 = float(first_text.split()[1])
print(f"lines {lines}, followers {followers}, rate {rate if rate != '0' else 'unpaced'}, deployment #{deployment}")
print(f"stored {stored} stdout lines (seq gaps {gaps}); durable rate {lines / (stored_at - t0):,.0f} lines/s "
      f"({stored_at - t0:.2f} s from the first line written to the last one stored, polled every 20 ms)")
print("\n".join(l for l in report.splitlines() if not l.startswith("result ")))
cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
print(f"followers' CPU {cpu:.1f} s")
# Catching up: the whole log read from the store by one late follower.
start = time.time()
late = subprocess.run([follower_bin, host, str(port), str(deployment), str(lines), "1"], capture_output=True, text=True)
took = time.time() - start
print(f"catching up: a late follower read the whole log in {took:.2f} s ({lines / took:,.0f} lines/s)"
      + ("" if late.returncode == 0 else f"; FAILED: {late.stdout.strip()} {late.stderr.strip()}"))
result = dict(kv.split("=") for l in report.splitlines() if l.startswith("result ") for kv in l.split()[1:])
print(f"summary durable={lines / (stored_at - t0):.0f} p50_ms={float(result['p50']) * 1000:.0f} "
      f"p99_ms={float(result['p99']) * 1000:.0f} max_ms={float(result['max']) * 1000:.0f} "
      f"ok={int(stored == lines and gaps == 0 and follow.returncode == 0)}")
if stored != lines or gaps or follow.returncode != 0:
    sys.exit("FAILED: lines missing in the store or at a follower")
