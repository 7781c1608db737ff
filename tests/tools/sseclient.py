"""sseclient.py - a small Server-Sent Events client (python3 standard library) for pushd tests.

SSE(addr, path, headers, method): sends one request and reads the answer's head;
.status, .headers (lowercase names), .retry; .event(timeout) returns the next event
as a dict {"event", "id", "data"} (data parsed as JSON when it is), None on timeout;
comment lines are counted in .comments. Raises Closed when the server ends the stream.
"""
import json
import select
import socket
import time


class Closed(Exception):
    pass


class SSE:
    def __init__(self, addr, path="/sse/jokes/", headers=None, method="GET", timeout=5.0,
                 rcvbuf=None, read_head=True, host=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(addr)
        self.buf = b""
        self.status = None
        self.headers = {}
        self.retry = None
        self.comments = 0
        self.closed = False
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % (host or "%s:%d" % addr),
                 "Accept: text/event-stream"]
        lines += list(headers or [])
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        if read_head:
            self.read_head(timeout)

    def _more(self, deadline):
        left = deadline - time.time()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            return False
        try:
            d = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.closed = True
            raise Closed()
        self.buf += d
        return True

    def read_head(self, timeout=5.0):
        deadline = time.time() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._more(deadline):
                raise TimeoutError("no answer head")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def body(self, timeout=5.0):
        """The rest of a short answer (a refusal), up to its Content-Length or the close."""
        deadline = time.time() + timeout
        want = int(self.headers.get("content-length", "-1"))
        try:
            while want < 0 or len(self.buf) < want:
                if not self._more(deadline):
                    break
        except Closed:
            pass
        return self.buf

    def event(self, timeout=5.0):
        """The next event (a block ending in a blank line with data), None on timeout."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                ev = {"event": "message", "id": None, "data": None}
                data = []
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        self.comments += 1
                        continue
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "data":
                        data.append(v)
                    elif k == "id":
                        ev["id"] = v
                    elif k == "event":
                        ev["event"] = v
                    elif k == "retry":
                        self.retry = int(v)
                if data:
                    text = "\n".join(data)
                    try:
                        ev["data"] = json.loads(text)
                    except ValueError:
                        ev["data"] = text
                    return ev
            if not self._more(deadline):
                return None

    def ids(self, n, timeout=5.0):
        """The ids of the next n joke events (fewer on timeout)."""
        out = []
        while len(out) < n:
            ev = self.event(timeout)
            if ev is None:
                break
            if ev["event"] == "joke":
                out.append(ev["data"]["id"])
        return out

    def close(self):
        self.sock.close()
