#!/usr/bin/env python3
"""Driver of bench/log-pipeline.sh: starts a deployment whose one node prints LINES timestamped lines as fast
as it can, follows its log with FOLLOWERS server-sent-event clients, and prints

- the durable rate: LINES / (first line written by the program → last line seen in the database by a
  read-only reader polling every 20 ms); the count and the sequence numbers in the database are checked at
  the end; and the time until the first follower and all followers had every line;
- the lag from write to delivery: each line carries the time the program wrote it; for every read of a
  follower's socket the oldest line in it gives one sample (an upper bound for the others in that read);
  p50 / p99 / max over all samples of all followers;
- per follower: lines received (must be LINES, in id order, no gaps or duplicates).

    log-follow.py URL WAVELINE_BIN DATA_DIR LINES FOLLOWERS
"""
import json, multiprocessing as mp, os, re, selectors, socket, sqlite3, statistics, subprocess, sys, time
from urllib.parse import urlparse

url, binary, data, lines, followers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
host, port = urlparse(url).hostname, urlparse(url).port

out = subprocess.run([binary, "deploy", "lines", "--cluster", "pipe", "--strategy", "flat", "-p", f"count={lines}",
                      "--reason", "log pipeline benchmark", "--server", url, "--json"], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit("deploy failed: " + out.stdout + out.stderr)
deployment = json.loads(out.stdout)["deployment"]["id"]

STDOUT = b'"stream":"stdout"'
TEXT = re.compile(rb'"text":"(\d+) (\d+\.\d+) ')
ID = re.compile(rb"\nid: (\d+)\n")  # (an event starts with "event: log", so its id follows a newline)


def follow_many(indexes, results):
    """Follows the log once per index, multiplexed on one thread; returns per follower (count, ok, samples, last_time)."""
    sel = selectors.DefaultSelector()
    state = {}

    def connect(i, last_id):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        extra = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        # HTTP/1.0: the body comes without chunk framing and ends when the server closes.
        s.sendall(f"GET /api/v1/deployments/{deployment}/logs/stream HTTP/1.0\r\nHost: {host}\r\n{extra}\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        st = state.setdefault(i, {"count": 0, "last_id": 0, "tail": b"", "samples": [], "ok": True, "done": False,
                                  "last_line_at": None, "reconnects": 0, "header": True})
        st["header"] = True
        st["tail"] = b""

    for i in indexes:
        connect(i, 0)
    open_count = len(indexes)
    while open_count:
        for key, _ in sel.select(timeout=30):
            s, i = key.fileobj, key.data
            st = state[i]
            try:
                chunk = s.recv(1 << 20)
            except BlockingIOError:
                continue
            now = time.time()
            if not chunk:
                sel.unregister(s)
                s.close()
                if st["done"]:
                    open_count -= 1
                else:  # ended by the server (too far behind): resume from the last id, as a browser does
                    st["reconnects"] += 1
                    connect(i, st["last_id"])
                continue
            # Work on the received bytes as they are (counting and searching in C, no copies): the followers
            # share the two cores with the server, so the less they do the less they slow down what they measure.
            view = chunk
            if st["header"]:
                view = st["tail"] + chunk
                end = view.find(b"\r\n\r\n")
                if end < 0:
                    st["tail"] = view
                    continue
                view = view[end + 4:]
                st["header"] = False
                st["tail"] = b""
            # A marker cut between two reads is found in the joint: the previous read's last bytes and this
            # one's first, each shorter than the marker, so nothing is counted twice.
            joint = st["tail"] + view[:len(STDOUT) - 1]
            n = view.count(STDOUT) + joint.count(STDOUT)
            if n:
                first = TEXT.search(view, 0, 8192) or TEXT.search(view)
                if first:
                    st["samples"].append(now - float(first.group(2)))
                st["count"] += n
                if st["count"] >= lines and st["last_line_at"] is None:
                    st["last_line_at"] = now
            first_id = ID.search(view, 0, 8192) or ID.search(view)
            if first_id:
                if int(first_id.group(1)) <= st["last_id"]:
                    st["ok"] = False  # a duplicate or lines out of order
                at = view.rfind(b"\nid: ")
                stop = view.find(b"\n", at + 5)
                if stop > 0:
                    st["last_id"] = int(view[at + 5:stop])
            st["tail"] = view[-(len(STDOUT) - 1):]
            if b"event: end" in view or b"event: end" in joint:
                st["done"] = True
                sel.unregister(s)
                s.close()
                open_count -= 1
    results.put([(st["count"], st["ok"], st["samples"], st["last_line_at"], st["reconnects"]) for st in state.values()])


procs = int(os.environ.get("FOLLOWER_PROCESSES", "2"))
results = mp.Queue()
workers = [mp.Process(target=follow_many, args=(list(range(p, followers, procs)), results)) for p in range(procs)]
for w in workers:
    w.start()
# The durable rate: how soon the last line is in the database (polled read-only, as another reader would).
db = sqlite3.connect(f"file:{data}/waveline.sqlite?mode=ro", uri=True, timeout=30)
stored_at = None
while stored_at is None:
    row = db.execute("SELECT text FROM log_lines WHERE deployment_id = ? AND stream = 'stdout' ORDER BY id DESC LIMIT 1",
                     (deployment,)).fetchone()
    if row and row[0].startswith(f"{lines - 1} "):
        stored_at = time.time()
    else:
        time.sleep(0.02)
collected = []
for _ in workers:
    collected += results.get()
for w in workers:
    w.join()

stored = db.execute("SELECT COUNT(*) FROM log_lines WHERE deployment_id = ? AND stream = 'stdout'", (deployment,)).fetchone()[0]
first_text = db.execute("SELECT text FROM log_lines WHERE deployment_id = ? AND stream = 'stdout' ORDER BY id LIMIT 1",
                        (deployment,)).fetchone()[0]
gaps = db.execute("SELECT COUNT(*) FROM (SELECT seq - LAG(seq) OVER (ORDER BY id) AS d FROM log_lines WHERE deployment_id = ?) "
                  "WHERE d != 1", (deployment,)).fetchone()[0]
t0 = float(first_text.split()[1])
t_last = min(c[3] for c in collected if c[3])
samples = sorted(s for c in collected for s in c[2])
complete = sum(1 for c in collected if c[0] == lines and c[1])


def pct(p):
    return samples[min(len(samples) - 1, int(p / 100 * len(samples)))]


print(f"lines {lines}, followers {followers}, deployment #{deployment}")
t_all = max(c[3] for c in collected if c[3])
print(f"stored {stored} stdout lines (seq gaps {gaps}); durable rate {lines / (stored_at - t0):,.0f} lines/s "
      f"({stored_at - t0:.2f} s from the first line written to the last one stored, polled every 20 ms)")
print(f"delivered: every line to the first follower in {t_last - t0:.2f} s ({lines / (t_last - t0):,.0f} lines/s), "
      f"to all {followers} in {t_all - t0:.2f} s")
print(f"lag write→delivery (oldest line of each read, {len(samples)} samples): p50 {pct(50) * 1000:.0f} ms, "
      f"p99 {pct(99) * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms")
print(f"followers complete and in order: {complete}/{followers}; reconnects {sum(c[4] for c in collected)}; "
      f"received per follower min {min(c[0] for c in collected)}")
