#!/usr/bin/env python3
"""A stand-in for Slack's Web API for bench/notifications.sh: answers the calls Waveline makes as Slack does
(chat.postMessage, chat.update, conversations.history, conversations.replies) and records each write with its
arrival time (time.time(), taken before the body is read further than its length).

Usage: fake-slack.py PORT_FILE
Writes the port it listens on to PORT_FILE. `GET /_bench/records` answers every write so far, in arrival order:
{"records": [{"t": arrival, "method": ..., "channel": ..., "ts": ..., "thread_ts": ..., "deployment": ...,
"message": ..., "text": ...}]}. Threaded (a thread per connection), stdlib only.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
records = []          # every write, in arrival order
messages = {}         # channel -> list of stored messages (as conversations.history returns them)
counter = [0]


def next_ts():
    counter[0] += 1
    return f"{int(time.time())}.{counter[0]:06d}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        arrival = time.time()
        method = urlparse(self.path).path.rsplit("/", 1)[-1]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        channel = body.get("channel", "")
        payload = (body.get("metadata") or {}).get("event_payload") or {}
        with lock:
            if method == "chat.postMessage":
                ts = next_ts()
                stored = {"ts": ts, "text": body.get("text", ""), "metadata": body.get("metadata")}
                if body.get("thread_ts"):
                    stored["thread_ts"] = body["thread_ts"]
                messages.setdefault(channel, []).append(stored)
            elif method == "chat.update":
                ts = body.get("ts", "")
            elif method == "chat.postEphemeral":
                ts = next_ts()
            else:
                self.answer({"ok": False, "error": "unknown_method"}, 404)
                return
            records.append({"t": arrival, "method": method, "channel": channel, "ts": ts,
                            "thread_ts": body.get("thread_ts"), "deployment": payload.get("deployment_id"),
                            "message": payload.get("message_id"), "text": body.get("text", "")[:200]})
        answer = {"ok": True, "channel": channel, "ts": ts}
        if method == "chat.postEphemeral":
            answer = {"ok": True, "message_ts": ts}
        self.answer(answer)

    def do_GET(self):
        url = urlparse(self.path)
        method = url.path.rsplit("/", 1)[-1]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        channel = query.get("channel", "")
        if url.path == "/_bench/records":
            with lock:
                self.answer({"records": list(records)})
            return
        with lock:
            found = list(messages.get(channel, []))
        if method == "conversations.replies":
            parent = query.get("ts")
            found = [m for m in found if m["ts"] == parent or m.get("thread_ts") == parent]
        elif method == "conversations.history":
            found = [m for m in found if "thread_ts" not in m]
            found.reverse()   # newest first, as Slack answers
        else:
            self.answer({"ok": False, "error": "unknown_method"}, 404)
            return
        self.answer({"ok": True, "messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}})


def main():
    port_file = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
