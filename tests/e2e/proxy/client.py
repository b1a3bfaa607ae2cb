"""Calls the proxy through its Service without pause: WORKERS loops, each sending one chat
completion after another (a new connection each) for DURATION seconds. First it calls until
one call succeeds (at most 120 s), so that what is measured starts once this new pod can reach
the proxy at all; then it prints "started", and at the end one JSON line: the warm-up's
outcomes, and every measured request's start and end (epoch ms) and its outcome.
Usage: client.py URL MODEL WORKERS DURATION_SECONDS; the key comes from env PROXY_KEY."""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

URL, MODEL, WORKERS, DURATION = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
BODY = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "ping"}]}).encode()
HEADERS = {"Authorization": "Bearer " + os.environ["PROXY_KEY"], "Content-Type": "application/json"}
results = []
lock = threading.Lock()


def call():
    try:
        request = urllib.request.Request(URL, data=BODY, headers=HEADERS, method="POST")
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
            return str(answer.status)
    except urllib.error.HTTPError as e:
        return str(e.code)
    except Exception as e:  # a refused or reset connection is a failed request too
        return type(e).__name__ + ": " + str(e)[:200]


def worker(stop_at):
    while time.time() < stop_at:
        start = time.time()
        outcome = call()
        with lock:
            results.append([int(start * 1000), int(time.time() * 1000), outcome])


warmup = []
warm_until = time.time() + 120
while time.time() < warm_until:
    warmup.append(call())
    if warmup[-1] == "200":
        break
    time.sleep(0.5)
stop_at = time.time() + DURATION
print("started", flush=True)
threads = [threading.Thread(target=worker, args=(stop_at,)) for _ in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"warmup": warmup, "requests": results}), flush=True)
