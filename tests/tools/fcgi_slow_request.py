# fcgi_slow_request.py SOCKET PID - send a FastCGI request for /jokes/31 in two halves, with
# SIGTERM to PID in between; print whether the answer still came (jokes-fcgi test tool).
import socket, sys, time, os, signal
sys.path.insert(0, os.path.dirname(__file__))
from fcgiwire import begin, params as fcgi_params, rec
sock, pid = sys.argv[1], int(sys.argv[2])
params = fcgi_params(b"/31")
s = socket.socket(socket.AF_UNIX); s.connect(sock)
s.sendall(begin())                                    # BEGIN_REQUEST, responder, no keep-conn
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
