# fcgiwire.py - the FastCGI records a test client needs (jokes-fcgi test tools).
import struct

BEGIN, PARAMS, STDIN, END = 1, 4, 5, 3


def rec(t, content, rid=1):
    return struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content


def nv(k, v):
    return bytes([len(k)]) + bytes([len(v)]) + k + v


def begin():
    """BEGIN_REQUEST: responder, no keep-conn."""
    return rec(BEGIN, struct.pack("!HB5x", 1, 0))


def params(path, query=b""):
    return b"".join(nv(k, v) for k, v in [(b"REQUEST_METHOD", b"GET"), (b"SCRIPT_NAME", b"/jokes"),
                                          (b"PATH_INFO", path), (b"QUERY_STRING", query)])


def read_until_end(s):
    """Bytes read up to and including the END_REQUEST record (or EOF)."""
    out = b""
    while True:
        i = 0
        while i + 8 <= len(out):
            t, n, pad = out[i + 1], struct.unpack("!H", out[i + 4:i + 6])[0], out[i + 6]
            if t == END and i + 8 + n + pad <= len(out):
                return out
            i += 8 + n + pad
        d = s.recv(65536)
        if not d:
            return out
        out += d
