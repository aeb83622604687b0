#!/usr/bin/env python3
"""HTTP server for tests/cli/test-install.sh, on 127.0.0.1 at a free port.

Serves DIR like python3 -m http.server (Last-Modified, If-Modified-Since,
Range) plus failure modes:
  /trunc/NAME     announces the full length, sends half, closes
  /flaky/NAME     the first request is cut in half, later ones are whole
  /redirect/NAME  302 to /NAME
  /slow/NAME      whole, 32 KiB every 50 ms (to interrupt a transfer)
  anything missing: 404
Writes the port to PORTFILE and one line per request to DIR/../requests.log.
"""
import email.utils
import http.server
import os
import sys
import time

root, portfile = sys.argv[1], sys.argv[2]
log = open(os.path.join(os.path.dirname(os.path.abspath(root)), "requests.log"), "a", buffering=1)
seen = set()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        log.write("%s range=%s ims=%s\n" % (self.path, self.headers.get("Range"),
                                           self.headers.get("If-Modified-Since")))
        path = self.path.split("?")[0]
        mode = None
        for m in ("trunc", "flaky", "redirect", "slow"):
            if path.startswith("/%s/" % m):
                mode, path = m, path[len(m) + 1:]
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        f = os.path.join(root, os.path.basename(path))
        if not os.path.isfile(f):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(f, "rb").read()
        st = os.stat(f)
        ims = self.headers.get("If-Modified-Since")
        if ims and mode is None:
            try:
                if email.utils.parsedate_to_datetime(ims).timestamp() >= int(st.st_mtime):
                    self.send_response(304)
                    self.end_headers()
                    return
            except (TypeError, ValueError):
                pass
        cut = mode == "trunc" or (mode == "flaky" and path not in seen)
        if mode == "flaky":
            seen.add(path)
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and not cut:
            start = int(rng[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        body = data[start:]
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "slow":
            try:
                for i in range(0, len(body), 32768):
                    self.wfile.write(body[i:i + 32768])
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as p:
    p.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
