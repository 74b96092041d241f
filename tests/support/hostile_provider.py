#!/usr/bin/env python3
"""A hostile OAuth provider for credctl's end-to-end tests.

    python3 hostile_provider.py READY_FILE [--tls-cert PEM --tls-key KEY]
                                           [--trap URL]

Listens on 127.0.0.1 (ephemeral port), writes "http://127.0.0.1:PORT" to
READY_FILE once listening; with --tls-cert and --tls-key it speaks https and
writes "https://localhost:PORT". POST /MODE/token answers the way MODE says:

  ok         a valid token response (control)
  github     like GitHub: JSON only with "Accept: application/json", else
             a form-encoded body
  notjson    200 with an HTML page
  huge       200 with a 2 MiB JSON body
  noaccess   200 without access_token (but with a refresh_token)
  mac        200 with token_type "mac"
  negexp     200 with expires_in -5
  absurdexp  200 with expires_in 10^12
  redirect   302 to another URL on this server
  drip       200 announcing 100 bytes, then one byte every 0.5 s
  hang       reads the request and never answers
  e503       503 every time
  e503hang   503 the first time, then never answers
  escape     429 every time, its "error" carrying terminal sequences (ESC,
             BEL) and a newline before a forged "<0>" log line
  escape400  400 with that "error"
  escapetype 200 with that text as its token_type

POST /MODE/device answers a device authorization (RFC 8628) whose
verification_uri, verification_uri_complete and user_code carry that text
too; the device grant's polls then get MODE's answer.

GET /MODE/.well-known/openid-configuration is the discovery document of the
issuer BASE/MODE (BASE: what READY_FILE holds). Its endpoints are those of
mode ok on this server (BASE/ok/auth, /ok/token, /ok/revoke), but:

  httpauth   authorization_endpoint http://evil.example/authorize
  badauth    authorization_endpoint "http://127.0.0.1:1/a b" (no URL)
  ctlauth    authorization_endpoint with terminal escapes and a newline
  traptoken  token_endpoint URL/trap/token, URL the --trap option (another
             instance of this server, plain http on loopback)

Every answer except "ok" also offers a rotated refresh token, which the
client must not store. GET /_stats answers {"MODE": [refresh tokens
received, in order]}. Nothing here is a real secret.
"""
import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {}
lock = threading.Lock()

# What a provider could send to reach a terminal or forge a log line.
HOSTILE_TEXT = "bad\x1b]0;TITLE\x07\x1b[2J\r\n<0>FORGED-LOG-LINE"


def token_body(mode):
    body = {"access_token": "at-" + mode, "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": "rotated-" + mode}
    if mode == "ok":
        body["access_token"] = "at-ok-%d" % time.monotonic_ns()
        del body["refresh_token"]
    elif mode == "noaccess":
        del body["access_token"]
    elif mode == "mac":
        body["token_type"] = "mac"
    elif mode == "negexp":
        body["expires_in"] = -5
    elif mode == "absurdexp":
        body["expires_in"] = 10 ** 12
    elif mode == "escapetype":
        body["token_type"] = HOSTILE_TEXT
    elif mode == "huge":
        body["padding"] = "x" * (2 * 1024 * 1024)
    return json.dumps(body).encode()


def discovery_document(base, mode, trap):
    issuer = "%s/%s" % (base, mode)
    doc = {"issuer": issuer, "authorization_endpoint": base + "/ok/auth", "token_endpoint": base + "/ok/token",
           "revocation_endpoint": base + "/ok/revoke"}
    if mode == "httpauth":
        doc["authorization_endpoint"] = "http://evil.example/authorize"
    elif mode == "badauth":
        doc["authorization_endpoint"] = "http://127.0.0.1:1/a b"
    elif mode == "ctlauth":
        doc["authorization_endpoint"] = base + "/ok/auth\x1b]0;TITLE\x07\x1b[2J\n<0>credd: forged"
    elif mode == "traptoken":
        doc["token_endpoint"] = "%s/trap/token" % trap
    return json.dumps(doc).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # paths only, never bodies
        sys.stderr.write("[hostile] %s %s\n" % (self.command, self.path))

    def send(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if self.path == "/_stats":
            with lock:
                self.send(200, json.dumps(received).encode())
        elif len(parts) == 3 and parts[1:] == [".well-known", "openid-configuration"]:
            self.send(200, discovery_document(self.server.base, parts[0], self.server.trap))
        else:
            self.send(404, b"{}")

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if len(parts) == 2 and parts[1] == "device":
            base = "http://127.0.0.1:%d/%s" % (self.server.server_port, parts[0])
            self.send(200, json.dumps({
                "device_code": "dc-" + parts[0], "user_code": "AB" + HOSTILE_TEXT,
                "verification_uri": base + "/verify" + HOSTILE_TEXT,
                "verification_uri_complete": base + "/verify?c=" + HOSTILE_TEXT,
                "expires_in": 30, "interval": 1}).encode())
            return
        if len(parts) != 2 or parts[1] not in ("token", "revoke"):
            self.send(404, b"{}")
            return
        mode = parts[0]
        with lock:
            received.setdefault(mode, []).extend(form.get("refresh_token", []) or form.get("token", []))
            first = len(received[mode]) == 1
        if parts[1] == "revoke":
            self.send(200, b"") if mode == "ok" else self.send(503, b"{}")
            return
        if mode == "github" and "application/json" not in self.headers.get("Accept", ""):
            self.send(200, b"access_token=at-github&token_type=bearer", "application/x-www-form-urlencoded")
        elif mode == "notjson":
            self.send(200, b"<html><body>Sign in to continue</body></html>", "text/html")
        elif mode == "redirect":
            self.send(302, b"", "text/plain", [("Location", "http://127.0.0.1:%d/elsewhere" % self.server.server_port)])
        elif mode == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
        elif mode == "hang" or (mode == "e503hang" and not first):
            time.sleep(3600)
        elif mode in ("e503", "e503hang"):
            self.send(503, b'{"error":"temporarily_unavailable"}')
        elif mode in ("escape", "escape400"):
            self.send(429 if mode == "escape" else 400, json.dumps({"error": HOSTILE_TEXT}).encode())
        else:
            self.send(200, token_body(mode))


def main():
    args = argparse.ArgumentParser()
    args.add_argument("ready")
    args.add_argument("--tls-cert")
    args.add_argument("--tls-key")
    args.add_argument("--trap", default="http://127.0.0.1:9")
    opts = args.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.trap = opts.trap
    if opts.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(opts.tls_cert, opts.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.base = "https://localhost:%d" % server.server_port
    else:
        server.base = "http://127.0.0.1:%d" % server.server_port
    with open(opts.ready + ".tmp", "w") as f:
        f.write(server.base + "\n")
    os.rename(opts.ready + ".tmp", opts.ready)
    server.serve_forever()


if __name__ == "__main__":
    main()
