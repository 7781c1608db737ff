# fcgi_slow_request.py SOCKET PID - send a FastCGI request for /jokes/31 in two halves, with
# SIGTERM to PID in between; print whether the answer still came (jokes-fcgi test tool).
import socket, struct, sys, time, os, signal
sock, pid = sys.argv[1], int(sys.argv[2])
def rec(t, content, rid=1):
    return struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content
def nv(k, v):
    return bytes([len(k)]) + bytes([len(v)]) + k + v
params = b"".join(nv(k, v) for k, v in [(b"REQUEST_METHOD", b"GET"), (b"SCRIPT_NAME", b"/jokes"), (b"PATH_INFO", b"/31"), (b"QUERY_STRING", b"")])
s = socket.socket(socket.AF_UNIX); s.connect(sock)
s.sendall(rec(1, struct.pack("!HB5x", 1, 0)))        # BEGIN_REQUEST, responder, no keep-conn
s.sendall(rec(4, params[:10]))                        # half the params
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)                          # the request is in flight
time.sleep(0.3)
s.sendall(rec(4, params[10:]) + rec(4, b"") + rec(5, b""))
out = b""
s.settimeout(5)
try:
    while True:
        d = s.recv(65536)
        if not d: break
        out += d
except Exception as e:
    print("recv:", e)
print("got", len(out), "bytes;", b"Status: 200" in out, b'data-id="31"' in out)
