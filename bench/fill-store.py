#!/usr/bin/env python3
"""Fills a Waveline data folder for the UI/API benchmarks (issue 4).

    bench/fill-store.py DIR [--deployments 10000] [--runs 1000000] [--lines 10000000] [--seed 4]

DIR gets an inventory, a catalog, a strategy and `data/waveline.sqlite`. The schema is Waveline's own: the
script starts `waveline serve` on the empty folder (migrations run), makes one real deployment to take the
JSON of an operation, a node and the gates from, stops the server, deletes that deployment's rows and then
writes the rest directly with sqlite3 (WAL, synchronous=OFF, big transactions). Rows follow
Sources/WavelineStore/Records.swift: JSON columns hold what Swift's JSONEncoder writes (sorted keys).

Shapes: deployment sizes from 3 to 2,000 nodes (mean = runs / deployments), mixed operations, environments,
products, requesters and outcomes; failed deployments have failed nodes with failure_json and an error as
their last log line; the newest deployments are unfinished (running at a manual gate, paused, queued,
pending approval), so a restarted server has work to resume but none that runs processes.
Each node run has a pre-check, a step and a post-check (fewer when it failed) and ~lines/runs log lines.

WAVELINE_BIN: the binary (default .build-release/release/waveline).
"""
import argparse, json, re, os, random, shutil, signal, sqlite3, subprocess, sys, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--deployments", type=int, default=10_000)
ap.add_argument("--runs", type=int, default=1_000_000)
ap.add_argument("--lines", type=int, default=10_000_000)
ap.add_argument("--seed", type=int, default=4)
args = ap.parse_args()
random.seed(args.seed)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.environ.get("WAVELINE_BIN", os.path.join(root, ".build-release/release/waveline"))
# The admin token of bench/auth.sh: registered by the template server's first start, used by its CLI and reads
# here and later by bench/ui-api.sh on the filled folder.
TOKEN = os.environ.setdefault("WAVELINE_INITIAL_ADMIN_TOKEN", "wl_bench_admin_token_for_loopback_only_0001")
os.environ["WAVELINE_TOKEN"] = TOKEN
work = os.path.abspath(args.dir)
if os.path.exists(work):
    shutil.rmtree(work)
os.makedirs(f"{work}/catalog")
os.makedirs(f"{work}/strategies")

ENVS = ["test", "dev", "staging", "prod"]
PRODUCTS = ["kafka", "valkey", "postgres", "opensearch", "zookeeper", "clickhouse"]
OPERATIONS = ["deploy-version", "config-change", "restart", "cache-rebuild", "noop-deploy"]
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
ZONES = ["zone-a", "zone-b", "zone-c"]

with open(f"{work}/inventory.yaml", "w") as f:
    f.write("environments:\n")
    for env in ENVS:
        f.write(f"  - {{name: {env}{', protected: true' if env == 'prod' else ''}}}\n")
    f.write("products:\n")
    for p in PRODUCTS:
        f.write(f"  - {{name: {p}, owner: bench}}\n")
    # Two local nodes for the template deployment; the filled runs name nodes that need not be in the inventory.
    f.write("clusters:\n  - name: template\n    product: kafka\n    environment: test\n    zones: [zone-a]\n    nodes:\n")
    f.write("      - {name: template-1, zone: zone-a}\n      - {name: template-2, zone: zone-a}\n")
with open(f"{work}/catalog/trivial.yaml", "w") as f:
    f.write("name: trivial\nidempotent: true\nsteps:\n  - {name: install, run: [/bin/true], timeout: 30s}\n")
with open(f"{work}/strategies/two-phase.yaml", "w") as f:
    f.write("name: two-phase\nfailure_budget: 10%\nphases:\n"
            "  - {name: canary, size: 1, parallelism: 1, gate: manual}\n"
            "  - {name: rest, size: rest, batch_size: 25%, parallelism: 10, gate: auto}\n")

# 1. The schema, and JSON templates from a real deployment.
data = f"{work}/data"
server_log = open(f"{work}/template-server.out", "w")
server = subprocess.Popen([binary, "serve", "--port", "0", "--data", data, "--inventory", f"{work}/inventory.yaml",
                           "--catalog", f"{work}/catalog", "--strategies", f"{work}/strategies", "--log-level", "error"],
                          stdout=server_log, stderr=subprocess.STDOUT)
url = None
for _ in range(200):
    time.sleep(0.1)
    text = open(f"{work}/template-server.out").read()
    if "listening on" in text:
        url = re.search(r"http://[0-9.:]+", text).group(0)
        break
if not url:
    server.kill()
    sys.exit("the server did not start: " + open(f"{work}/template-server.out").read())
out = subprocess.run([binary, "deploy", "trivial", "--cluster", "template", "--strategy", "two-phase",
                      "--reason", "template", "--server", url, "--json"], capture_output=True, text=True)
if out.returncode != 0:
    server.kill()
    sys.exit("template deployment failed: " + out.stdout + out.stderr)
template_id = json.loads(out.stdout)["deployment"]["id"]
for _ in range(200):
    detail = json.load(urllib.request.urlopen(urllib.request.Request(
        f"{url}/api/v1/deployments/{template_id}", headers={"Authorization": f"Bearer {TOKEN}"})))
    if any(p["status"] == "gate" for p in detail["phases"]):
        break
    time.sleep(0.05)
server.send_signal(signal.SIGTERM)
server.wait(timeout=30)

db = sqlite3.connect(f"{data}/waveline.sqlite", isolation_level=None)
db.row_factory = sqlite3.Row
dep_t = dict(db.execute("SELECT * FROM deployments WHERE id = ?", (template_id,)).fetchone())
phase_t = [dict(r) for r in db.execute("SELECT * FROM phases WHERE deployment_id = ? ORDER BY phase_index", (template_id,))]
target_t = dict(db.execute("SELECT * FROM targets WHERE deployment_id = ? ORDER BY target_index", (template_id,)).fetchone())
operation_t = json.loads(dep_t["operation_json"])
node_t = json.loads(target_t["node_json"])
gate_manual = phase_t[0]["gate_json"]
gate_auto = phase_t[1]["gate_json"]
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
db.execute("PRAGMA cache_size=-262144")
db.execute("BEGIN")
for table in ["log_lines", "step_runs", "targets", "phases", "node_states"]:
    db.execute(f"DELETE FROM {table}")
db.execute("DELETE FROM deployments")
db.execute("COMMIT")


def js(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


op_json = {}
for name in OPERATIONS:
    op = dict(operation_t)
    op["name"] = name
    op_json[name] = js(op)

# 2. Deployment sizes: mostly small, some fleet-wide; exactly `runs` node runs in all.
n = args.deployments
sizes = [random.choice([3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 400, 1000, 2000]) for _ in range(n)]
scale = args.runs / sum(sizes)
sizes = [max(2, int(s * scale)) for s in sizes]
diff = args.runs - sum(sizes)
i = 0
while diff != 0:
    step = 1 if diff > 0 else -1
    if sizes[i % n] + step >= 2:
        sizes[i % n] += step
        diff -= step
    i += 1
lines_per_run = args.lines / args.runs

now = time.time()
start_time = now - 90 * 86400
fill_started = time.time()
log_id = 0
log_buffer, step_buffer, target_buffer = [], [], []
node_state = {}
stats = {"deployments": 0, "targets": 0, "step_runs": 0, "log_lines": 0}
ins_log = "INSERT INTO log_lines (id, deployment_id, target_index, seq, time, stream, step, text) VALUES (?,?,?,?,?,?,?,?)"
ins_step = ("INSERT INTO step_runs (deployment_id, target_index, stage, step_index, attempt, name, status, exit_code, reason, "
            "started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
ins_target = ("INSERT INTO targets (deployment_id, target_index, node, cluster, zone, environment, product, node_json, kind, "
              "phase_index, batch_index, status, attempt, current_step, failure_json, started_at, finished_at) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
ins_phase = ("INSERT INTO phases (deployment_id, phase_index, name, kind, gate_json, parallelism, failure_budget, batches_json, "
             "status, gate_opens_at, approved_by, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
ins_dep = ("INSERT INTO deployments (id, operation, operation_json, strategy, parameters_json, selection_json, environments, "
           "products, requested_by, reason, ticket, status, status_reason, current_phase, failure_budget, target_count, "
           "created_at, started_at, finished_at, updated_at, approved_by, approved_at, protected_environments) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")

STEPS = {  # (stage, index, name) a node run goes through
    "deploy-version": [("pre_check", 0, "healthy before"), ("step", 0, "install"), ("post_check", 0, "healthy after")],
    "config-change": [("pre_check", 0, "healthy before"), ("step", 0, "apply config"), ("post_check", 0, "healthy after")],
    "restart": [("step", 0, "stop"), ("step", 1, "start"), ("post_check", 0, "healthy after")],
    "cache-rebuild": [("step", 0, "drop cache"), ("step", 1, "rebuild"), ("post_check", 0, "warm")],
    "noop-deploy": [("pre_check", 0, "healthy before"), ("step", 0, "noop"), ("post_check", 0, "healthy after")],
}
ERRORS = ["ERROR: health check failed: broker not in ISR after 30s", "fatal: checksum mismatch for package",
          "connection refused (127.0.0.1:9092)", "ERROR: config validation failed: unknown key 'log.retention'",
          "Killed: out of memory while rebuilding cache"]


def flush(force=False):
    if force or len(log_buffer) >= 200_000:
        db.executemany(ins_target, target_buffer); target_buffer.clear()
        db.executemany(ins_step, step_buffer); step_buffer.clear()
        db.executemany(ins_log, log_buffer); log_buffer.clear()


db.execute("BEGIN")
active_from = n - 25  # the newest 25 are unfinished
for d in range(n):
    dep_id = d + 1
    size = sizes[d]
    operation = random.choices(OPERATIONS, weights=[5, 3, 3, 1, 1])[0]
    env = random.choices(ENVS, weights=[2, 3, 2, 3])[0]
    product = random.choice(PRODUCTS)
    person = random.choice(PEOPLE)
    created = start_time + (now - 600 - start_time) * d / n
    started = created + random.uniform(0.1, 3)
    active = d >= active_from
    if active:
        status = random.choices(["running", "paused", "pending_approval"], weights=[6, 2, 2])[0]
        created = now - (n - d) * 20
        started = created + 1
    else:
        status = random.choices(["succeeded", "failed", "halted", "cancelled", "rolled_back"], weights=[87, 7, 1, 3, 2])[0]
    # Node outcomes.
    failed_nodes = set()
    if status in ("failed", "halted", "rolled_back") or (status in ("running", "paused") and random.random() < 0.4):
        k = max(1, min(size - 1, int(size * random.uniform(0.005, 0.08))))
        failed_nodes = set(random.sample(range(size), k))
    canary = 1
    if status == "queued" or status == "pending_approval":
        done_upto = 0
    elif status == "running":
        done_upto = canary  # waiting at the manual gate after the canary
    elif status == "paused":
        done_upto = random.randint(canary, size)
    elif status in ("halted", "cancelled"):
        done_upto = random.randint(canary, size)
    else:
        done_upto = size
    steps = STEPS[operation]
    t = started
    duration = random.uniform(0.5, 40)
    cluster = f"{product}-{env}-{(dep_id % 7) + 1}"
    for ti in range(size):
        node = f"{cluster}-{ti + 1}"
        zone = ZONES[ti % (2 if env == 'prod' else 1)] if env == "prod" else "zone-a"
        phase = 0 if ti < canary else 1
        batch = 0 if phase == 0 else min(3, (ti - canary) * 4 // max(1, size - canary))
        if ti >= done_upto:
            tstatus = "cancelled" if status in ("cancelled",) else "pending"
            target_buffer.append((dep_id, ti, node, cluster, zone, env, product, None, "deploy", phase, batch, tstatus, 0,
                                  None, None, None, None))
            continue
        tstart = started + duration * ti / size
        tend = tstart + random.uniform(0.2, 5)
        failed = ti in failed_nodes
        run_steps = steps[: random.randint(1, len(steps))] if failed else steps
        # About lines/runs each, catching up on runs that never started (they have no log), so the total lands near --lines.
        behind = args.lines * (stats["targets"] + ti + 1) / args.runs - stats["log_lines"]
        nlines = max(1, min(round(behind + random.gauss(0, 2)), round(lines_per_run * 3)))
        per_step = max(1, nlines // len(run_steps))
        seq = 0
        for si, (stage, index, name) in enumerate(run_steps):
            last = si == len(run_steps) - 1
            sstatus = "failed" if failed and last else "succeeded"
            code = 1 if sstatus == "failed" else 0
            step_buffer.append((dep_id, ti, stage, index, 1, name, sstatus, code,
                                "exited with code 1" if sstatus == "failed" else None, tstart + si, tstart + si + 0.5))
            count = per_step if not last else nlines - per_step * (len(run_steps) - 1)
            for li in range(count):
                seq += 1
                log_id += 1
                if failed and last and li == count - 1:
                    stream, text = "stderr", random.choice(ERRORS)
                else:
                    stream, text = "stdout", f"[{name}] {node}: progress {li + 1}/{count} ok"
                log_buffer.append((log_id, dep_id, ti, seq, tstart + si + li * 0.001, stream, name, text))
        failure = None
        if failed:
            stage, _, name = run_steps[-1]
            failure = js({"exitCode": 1, "reason": "exited with code 1", "stage": stage, "step": name})
        node_json = None  # filled below, per row: kept small in memory
        target_buffer.append((dep_id, ti, node, cluster, zone, env, product, node_json, "deploy", phase, batch,
                              "failed" if failed else "succeeded", 1, run_steps[-1][2], failure, tstart, tend))
        node_state[node] = (node, cluster, env, product, dep_id, operation, "failed" if failed else "succeeded", tend,
                            "3.%d.%d" % (dep_id % 10, dep_id % 7) if operation == "deploy-version" else None, "%016x" % (dep_id * 7919))
        stats["step_runs"] += len(run_steps)
        stats["log_lines"] += nlines
    stats["targets"] += size
    # node_json per target (the node as planned); done here so the row tuples above stay cheap.
    for idx in range(len(target_buffer) - size, len(target_buffer)):
        row = list(target_buffer[idx])
        node = dict(node_t)
        node["name"], node["cluster"], node["zone"] = row[2], row[3], row[4]
        row[7] = js(node)
        target_buffer[idx] = tuple(row)
    # Phases: canary (1 node, manual gate) and the rest in 4 batches.
    rest = list(range(canary, size))
    batches = [[i for i in rest if min(3, (i - canary) * 4 // max(1, size - canary)) == b] for b in range(4)]
    batches = [b for b in batches if b]
    finished = status not in ("running", "paused", "queued", "pending_approval")
    p0 = "pending" if done_upto == 0 else ("gate" if status == "running" else "completed")
    p1 = "completed" if finished and status == "succeeded" else ("running" if status == "paused" and done_upto > canary else "pending")
    db.execute(ins_phase, (dep_id, 0, "canary", "deploy", gate_manual, 1, None, js([[0]]), p0, None,
                           None if status == "running" else ("bob" if p0 == "completed" else None),
                           started if done_upto else None, started + 1 if p0 == "completed" else None))
    db.execute(ins_phase, (dep_id, 1, "rest", "deploy", gate_auto, 10, None, js(batches), p1, None, None,
                           started + 1 if p1 != "pending" else None, started + duration if p1 == "completed" else None))
    finished_at = started + duration + 5 if finished else None
    reason_text = {"halted": "failure budget exceeded", "cancelled": "aborted by " + person,
                   "failed": "%d nodes failed" % len(failed_nodes), "rolled_back": "rolled back after failures"}.get(status)
    params = {"version": "3.%d.%d" % (dep_id % 10, dep_id % 7)} if operation == "deploy-version" else {}
    db.execute(ins_dep, (dep_id, operation, op_json[operation], "two-phase", js(params),
                         js({"clusters": [cluster]}) if False else dep_t["selection_json"], env, product, person,
                         f"{operation} on {cluster} for CHG-{1000 + dep_id}", f"CHG-{1000 + dep_id}" if dep_id % 3 else None,
                         status, reason_text, 1 if p1 != "pending" else 0, max(1, size // 10), size, created,
                         None if status in ("queued", "pending_approval") else started, finished_at,
                         finished_at or started, "carol" if env == "prod" and status != "pending_approval" else None,
                         started if env == "prod" and status != "pending_approval" else None, "prod" if env == "prod" else ""))
    stats["deployments"] += 1
    flush()
    if dep_id % 500 == 0:
        flush(True)
        db.execute("COMMIT")
        db.execute("BEGIN")
        print(f"  {dep_id} deployments, {stats['targets']} node runs, {stats['log_lines']} log lines, "
              f"{time.time() - fill_started:.0f} s", flush=True)
flush(True)
db.executemany("INSERT INTO node_states (node, cluster, environment, product, deployment_id, operation, outcome, finished_at, "
               "version, config_digest) VALUES (?,?,?,?,?,?,?,?,?,?)", list(node_state.values()))
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
elapsed = time.time() - fill_started
size_bytes = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.startswith("waveline.sqlite"))
print(f"filled {work}/data: {stats['deployments']} deployments, {stats['targets']} node runs, {stats['step_runs']} step runs, "
      f"{stats['log_lines']} log lines in {elapsed:.0f} s; database {size_bytes / 2**30:.2f} GiB")
