"""A stand-in for Google's token endpoint and Vertex AI's generateContent, on a test host of
the sealed network, that answers each model call after DELAY seconds: a request is in flight
whenever a rollout or a drain starts. Usage: slow_upstream.py PORT DELAY_SECONDS
Prints one line per request served: "<path> <status>"."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2])
# The least a gemini generateContent answer must hold for LiteLLM 1.84.10 to return 200:
# usageMetadata is required (vertex_and_google_ai_studio_gemini.py).
ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "pong"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
}
TOKEN = {"access_token": "test-host-token", "expires_in": 3600, "token_type": "Bearer"}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/token":
            body, status = TOKEN, 200
        elif self.path.endswith(":generateContent"):
            time.sleep(DELAY)
            body, status = ANSWER, 200
        else:
            body, status = {"error": f"no such path {self.path}"}, 404
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(f"{self.path} {status}", flush=True)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
