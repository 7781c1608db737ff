# fcgiwire.py - the FastCGI records a test client needs (jokes-fcgi test tools).
import struct

BEGIN = 1


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

