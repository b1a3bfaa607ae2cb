"""Calls the proxy through its Service without pause: WORKERS loops, each sending one chat
completion after another (a new connection each) for DURATION seconds. Prints "started" once,
then at the end one JSON line: every request's start and end (epoch ms) and its outcome.
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


def worker(stop_at):
    while time.time() < stop_at:
        start = time.time()
        try:
            request = urllib.request.Request(URL, data=BODY, headers=HEADERS, method="POST")
            with urllib.request.urlopen(request, timeout=120) as answer:
                answer.read()
                outcome = str(answer.status)
        except urllib.error.HTTPError as e:
            outcome = str(e.code)
        except Exception as e:  # a refused or reset connection is a failed request too
            outcome = type(e).__name__ + ": " + str(e)[:200]
        with lock:
            results.append([int(start * 1000), int(time.time() * 1000), outcome])


stop_at = time.time() + DURATION
print("started", flush=True)
threads = [threading.Thread(target=worker, args=(stop_at,)) for _ in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"requests": results}), flush=True)
