"""wsclient.py - a small WebSocket client (python3 standard library) for pushd tests.

WS(addr, path, origin, host): addr is (host, port) or a Unix socket path.
Raw control over frames (masking, sizes) so tests can send bad input too.
"""
import base64
import json
import os
import select
import socket
import struct
import time


class Closed(Exception):
    pass


class WS:
    def __init__(self, addr, path="/ws/jokes/", origin="auto", host=None,
                 timeout=5.0, handshake=True, rcvbuf=None):
        if isinstance(addr, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            hostport = host or "localhost"
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hostport = host or "%s:%d" % addr
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(addr)
        self.buf = b""
        self.status = None
        self.close_code = None
        self.close_reason = None  # bytes after the code in the server's close frame
        self.auto_pong = True
        self.pings = 0
        if origin == "auto":
            origin = "http://" + hostport
        self.request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n%s\r\n") % (
            path, hostport, base64.b64encode(os.urandom(16)).decode(),
            ("Origin: %s\r\n" % origin) if origin else "")
        if handshake:
            self.handshake()

    def handshake(self):
        self.sock.sendall(self.request.encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        line = head.split(b"\r\n")[0].split()
        self.status = int(line[1]) if len(line) > 1 else 0
        return self.status

    def send_frame(self, opcode, payload=b"", mask=True, fin=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload)) if n < 4096 \
                else _mask_fast(payload, key)
            head += key
        self.sock.sendall(head + payload)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                raise TimeoutError
            d = self.sock.recv(65536)
            if not d:
                raise Closed("eof")
            self.buf += d

    def recv_frame(self, timeout=5.0):
        deadline = time.time() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, deadline)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0F, payload

    def recv(self, timeout=5.0):
        """Next text message as a dict; None on timeout; raises Closed on close/EOF."""
        deadline = time.time() + timeout
        while True:
            try:
                op, payload = self.recv_frame(max(0.0, deadline - time.time()))
            except TimeoutError:
                return None
            if op == 1:
                return json.loads(payload.decode())
            if op == 9:
                self.pings += 1
                if self.auto_pong:
                    self.send_frame(10, payload)
            elif op == 8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close_reason = payload[2:]
                raise Closed("close %s" % self.close_code)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _mask_fast(payload, key):
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def http_get(addr, path, headers=""):
    """Plain HTTP/1.0 GET; returns (status, body)."""
    s = socket.create_connection(addr, timeout=5)
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s:%d\r\n%s\r\n" % (path, addr[0], addr[1], headers)).encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")
