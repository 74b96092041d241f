#!/usr/bin/env python3
"""A plain-http server on 127.0.0.1 that asks for Basic credentials.

  http_401_server.py PORT RECORD

Answers every request 401 with WWW-Authenticate: Basic, and appends to
RECORD a line for each request ("request PATH") and each Authorization
header it is sent (base64 decoded): what a server
another user started on a loopback port would take from git. Writes its
pid to RECORD.pid; ends by itself after 120 s.
"""
import os
import base64
import http.server
import sys

port, record = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(record, "a") as f:
            f.write("request " + self.path + "\n")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            with open(record, "a") as f:
                f.write(base64.b64decode(auth[6:]).decode("utf-8", "replace") + "\n")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


open(record, "a").close()
with open(record + ".pid", "w") as f:
    f.write(str(os.getpid()))
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
server.timeout = 1
for _ in range(120):
    server.handle_request()
