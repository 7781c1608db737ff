#!/usr/bin/env python3
"""fake_api.py - a local stand-in for the public joke APIs, for tests and benchmarks.

Standard library only. A threaded HTTP server on 127.0.0.1.

    python3 tests/fake_api.py --port-file FILE   # bind port 0, write the port to FILE
    python3 tests/fake_api.py --port N           # bind port N
    ... [--notify-socket PATH]                   # also listen on a Unix socket and keep
                                                 # every line received (see GET /_notify)

Endpoints, in the shapes of the real APIs (query strings are ignored), each with the API's own
classification of the joke (chucknorris "categories", jokeapi "category", "flags" and "safe",
official "type"; icanhazdadjoke has none):
    GET /chucknorris/jokes/random   {"id":"fake-cn-17","value":"Fake chucknorris joke 17",
                                     "categories":[],"icon_url":"…","url":"…","created_at":"…"}
    GET /icanhazdadjoke/            {"id":"fake-dad-17","joke":"Fake icanhazdadjoke joke 17","status":200}
    GET /jokeapi/joke/Any           its odd requests {"error":false,"category":"Misc","type":"single",
                                    "joke":"…","flags":{"nsfw":false,…,"explicit":false},"id":17,
                                    "safe":true,"lang":"en"},
                                    its even requests the same with "type":"twopart","setup":"…",
                                    "delivery":"…"
    GET /official/random_joke       {"type":"general","setup":"…","punchline":"…","id":17}
By default every answer is a NEW joke (a counter gives a unique id and text; /_reset does
not restart it, so ids never repeat within one fake, whatever a test stored before).

Control:
    POST /_control  {"source":"chucknorris"|"*", "mode":MODE, "text":"…", "hex":"…", "times":N,
                     "category":VALUE, "explicit":true, "fields":{…}, "drop":["…"]}
        sets the behaviour of that source's (or every source's) next answers; with "times"
        only the next N answers, then back to "ok". In the modes ok, text and same the joke
        object is then changed: "category" puts VALUE (any JSON: a string, a number, an array,
        a 10 KB string…) in the source's classification field (chucknorris "categories",
        jokeapi "category", official "type"); "explicit" marks the joke as the API would
        (chucknorris: "categories":["explicit"]; jokeapi: "flags.explicit":true,
        "safe":false); "fields" sets members as given (after the two above); "drop" removes
        members. MODE is one of
        ok            a new joke each time
        text          exactly the joke "text" (new id each time); "hex" instead gives the
                      raw bytes of the text, put into the JSON string unescaped
                      (for invalid UTF-8)
        same          the same joke (same id and text) every time
        html          HTTP 200 with an HTML page
        truncated     the JSON cut in half
        array         a JSON array holding the joke object
        number        the text field is a number
        huge          a 10 MiB body (a JSON object with one long string)
        drip          the headers, then the JSON answer one byte a second
        gzip          a new joke gzip-compressed with Content-Encoding: gzip, whether or not
                      the request asked for it (Accept-Encoding)
        gzip-bomb     a gzip answer of 64 KiB that decodes to 64 MiB (a JSON object with
                      one long string)
        redirect-loop 302 to itself, forever
        429-seconds   429 with Retry-After: 120
        429-date      429 with Retry-After as an HTTP date 120 s ahead
        503-seconds   503 with Retry-After: 120
        500-then-ok   one 500 answer, then ok
        500           HTTP 500 every time (jokeapi: its {"error":true,…} body)
        hang          accept the request and never answer
    POST /_reset    modes back to ok, request counts to zero, notify lines dropped (the joke
                    counter goes on)
    GET /_stats     {"chucknorris":N,"icanhazdadjoke":N,"jokeapi":N,"official":N}: requests
                    answered per source
    GET /_headers   {SOURCE:{"User-Agent":…,"Accept":…,"Accept-Encoding":…}}: headers of its
                    last request
    GET /_notify    {"lines":["…",…]} lines received on --notify-socket
"""

import argparse
import email.utils
import gzip
import io
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOURCES = {
    "/chucknorris/jokes/random": "chucknorris",
    "/icanhazdadjoke/": "icanhazdadjoke",
    "/icanhazdadjoke": "icanhazdadjoke",
    "/jokeapi/joke/Any": "jokeapi",
    "/official/random_joke": "official",
}
MODES = {"ok", "text", "same", "html", "truncated", "array", "number", "huge", "drip",
         "gzip", "gzip-bomb", "redirect-loop", "429-seconds", "429-date", "503-seconds", "500-then-ok", "500",
         "hang"}
RAW_MARK = "\u0001RAW\u0001"  # placeholder replaced by the raw bytes of "hex"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.counter = getattr(self, "counter", 0)  # never restarted: ids stay unique
        self.requests = {name: 0 for name in set(SOURCES.values())}
        self.headers = {}
        self.modes = {}  # source -> dict(mode, text, hex, times)
        self.notify_lines = []


STATE = State()


def joke_object(source, n, text, hex_text, k=1):
    """The answer object of `source` for joke number n (its k-th request); text None: a fresh one."""
    if text is None and hex_text is None:
        text = "Fake %s joke %d" % (source, n)
    if hex_text is not None:
        text = RAW_MARK
    if source == "chucknorris":
        return {"categories": [], "created_at": "2020-01-05 13:42:19.324003",
                "icon_url": "https://example.invalid/chuck.png", "id": "fake-cn-%d" % n,
                "updated_at": "2020-01-05 13:42:19.324003",
                "url": "https://example.invalid/jokes/fake-cn-%d" % n, "value": text}
    if source == "icanhazdadjoke":
        return {"id": "fake-dad-%d" % n, "joke": text, "status": 200}
    if source == "jokeapi":
        base = {"error": False, "category": "Misc",
                "flags": {"nsfw": False, "religious": False, "political": False,
                          "racist": False, "sexist": False, "explicit": False},
                "id": n, "safe": True, "lang": "en"}
        if k % 2 == 0 and RAW_MARK not in text and "\n" not in text and text.startswith("Fake"):
            base.update(type="twopart", setup="Fake jokeapi setup %d?" % n,
                        delivery="Fake jokeapi delivery %d." % n)
        else:
            base.update(type="single", joke=text)
        return base
    return {"type": "general", "setup": text, "punchline": "Fake punchline %d." % n, "id": n} \
        if text.startswith("Fake") else {"type": "general", "setup": text, "punchline": "",
                                          "id": n}


TEXT_FIELD = {"chucknorris": "value", "icanhazdadjoke": "joke", "jokeapi": "joke",
              "official": "setup"}
CATEGORY_FIELD = {"chucknorris": "categories", "jokeapi": "category", "official": "type"}
KNOBS = ("category", "explicit", "fields", "drop")


def customize(source, obj, m):
    """The joke object with the knobs of control m applied (see /_control)."""
    if "category" in m and source in CATEGORY_FIELD:
        obj[CATEGORY_FIELD[source]] = m["category"]
    if m.get("explicit"):
        if source == "chucknorris":
            obj["categories"] = ["explicit"]
        elif source == "jokeapi":
            obj["flags"] = dict(obj["flags"], explicit=True)
            obj["safe"] = False
    obj.update(m.get("fields") or {})
    for k in m.get("drop") or ():
        obj.pop(k, None)
    return obj


def encode(obj, hex_text):
    body = json.dumps(obj).encode()
    if hex_text is not None:
        marker = json.dumps(RAW_MARK)[1:-1].encode()
        body = body.replace(marker, bytes.fromhex(hex_text))
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-joke-api/1"

    def log_message(self, fmt, *args):  # quiet: tests read /_stats instead
        pass

    def send_body(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20))
        if path == "/_reset":
            with STATE.lock:
                STATE.reset()
            return self.send_body(200, b'{"ok":true}')
        if path != "/_control":
            return self.send_body(404, b'{"error":"not found"}')
        try:
            req = json.loads(raw or b"{}")
            mode = req.get("mode", "ok")
            source = req.get("source", "*")
            if mode not in MODES:
                raise ValueError("unknown mode %r" % mode)
            names = set(SOURCES.values()) if source in ("*", "all") else {source}
            if not names <= set(SOURCES.values()):
                raise ValueError("unknown source %r" % source)
            if req.get("hex") is not None:
                bytes.fromhex(req["hex"])
            if not isinstance(req.get("fields") or {}, dict) or \
                    not isinstance(req.get("drop") or [], list):
                raise ValueError("fields is an object, drop a list")
        except (ValueError, AttributeError) as e:
            return self.send_body(400, json.dumps({"error": str(e)}).encode())
        with STATE.lock:
            for name in names:
                STATE.modes[name] = {"mode": mode, "text": req.get("text"),
                                     "hex": req.get("hex"), "times": req.get("times")}
                STATE.modes[name].update({k: req[k] for k in KNOBS if k in req})
        return self.send_body(200, b'{"ok":true}')

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/_stats":
            with STATE.lock:
                body = json.dumps(STATE.requests)
            return self.send_body(200, body.encode())
        if path == "/_headers":
            with STATE.lock:
                body = json.dumps(STATE.headers)
            return self.send_body(200, body.encode())
        if path == "/_notify":
            with STATE.lock:
                body = json.dumps({"lines": STATE.notify_lines})
            return self.send_body(200, body.encode())
        source = SOURCES.get(path)
        if source is None:
            return self.send_body(404, b'{"error":"not found"}')
        with STATE.lock:
            STATE.requests[source] += 1
            STATE.headers[source] = {"User-Agent": self.headers.get("User-Agent"),
                                     "Accept": self.headers.get("Accept"),
                                     "Accept-Encoding": self.headers.get("Accept-Encoding")}
            STATE.counter += 1
            n = STATE.counter
            k = STATE.requests[source]
            m = dict(STATE.modes.get(source) or {"mode": "ok"})
            if m["mode"] == "500-then-ok":
                STATE.modes[source] = {"mode": "ok"}
            elif m.get("times") is not None:
                left = int(m["times"]) - 1
                STATE.modes[source] = dict(m, times=left) if left > 0 else {"mode": "ok"}
        self.answer(source, n, k, m)

    def answer(self, source, n, k, m):
        mode = m["mode"]
        if mode == "same":
            obj = joke_object(source, 0, m.get("text") or "Fake %s joke, again" % source, None)
            return self.send_body(200, encode(customize(source, obj, m), None))
        text = m.get("text") if mode == "text" else None
        hex_text = m.get("hex") if mode == "text" else None
        obj = joke_object(source, n, text, hex_text, k)
        if mode in ("ok", "text"):
            obj = customize(source, obj, m)
            return self.send_body(200, encode(obj, hex_text))
        if mode == "html":
            return self.send_body(200, b"<!DOCTYPE html><html><body><h1>Maintenance</h1>"
                                       b"</body></html>", "text/html")
        if mode == "truncated":
            body = encode(obj, None)
            return self.send_body(200, body[:len(body) // 2])
        if mode == "array":
            return self.send_body(200, json.dumps([obj]).encode())
        if mode == "number":
            obj[TEXT_FIELD[source]] = 42
            if source == "jokeapi":
                obj.update(type="single")
                obj.pop("setup", None), obj.pop("delivery", None)
            return self.send_body(200, json.dumps(obj).encode())
        if mode == "huge":
            return self.huge()
        if mode == "drip":
            return self.drip(encode(obj, None))
        if mode == "gzip":
            return self.send_body(200, gzip.compress(encode(obj, None)),
                                  extra={"Content-Encoding": "gzip"})
        if mode == "gzip-bomb":
            return self.send_body(200, gzip_bomb(), extra={"Content-Encoding": "gzip"})
        if mode == "redirect-loop":
            return self.send_body(302, b"", "text/plain", {"Location": self.path})
        if mode in ("429-seconds", "503-seconds"):
            return self.send_body(int(mode[:3]), b'{"error":"slow down"}', extra={"Retry-After": "120"})
        if mode == "429-date":
            when = email.utils.formatdate(time.time() + 120, usegmt=True)
            return self.send_body(429, b'{"error":"slow down"}', extra={"Retry-After": when})
        if mode in ("500", "500-then-ok"):
            body = b'{"error":true,"internalError":true,"code":500,"message":"fake failure"}'
            return self.send_body(500, body)
        if mode == "hang":
            for _ in range(600):  # until the client gives up or the server stops
                time.sleep(0.1)
            return None
        return self.send_body(500, b"{}")

    def huge(self):
        size = 10 * 1024 * 1024
        head, tail = b'{"id":"huge","value":"', b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            self.wfile.write(head)
            left = size - len(head) - len(tail)
            chunk = b"x" * 65536
            while left > 0:
                self.wfile.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def drip(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass


BOMB = []


def gzip_bomb():
    """64 MiB of JSON ({"id":"bomb","value":"xxx…"}) compressed once, about 64 KiB."""
    if not BOMB:
        size = 64 * 1024 * 1024
        head, tail = b'{"id":"bomb","value":"', b'"}'
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as z:
            z.write(head)
            chunk = b"x" * (1 << 20)
            left = size - len(head) - len(tail)
            while left > 0:
                z.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
            z.write(tail)
        BOMB.append(buf.getvalue())
    return BOMB[0]


class NotifyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            with STATE.lock:
                STATE.notify_lines.append(line.decode("utf-8", "replace").rstrip("\n"))


class NotifyServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description="fake joke APIs for jokes tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--notify-socket")
    args = ap.parse_args()

    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    if args.notify_socket:
        try:
            os.unlink(args.notify_socket)
        except FileNotFoundError:
            pass
        ns = NotifyServer(args.notify_socket, NotifyHandler)
        threading.Thread(target=ns.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
