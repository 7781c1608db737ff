# fcgi_held.py SOCKET - client A asks for /jokes/1, reads the whole answer and keeps its end
# open; then client B asks the same. Prints "a_eof=BOOL b_ms=N b_ok=BOOL": whether jokes-fcgi
# closed A's connection, and how long B waited (a process that waits for its client to close
# first serves B only when that wait times out).
import os, socket, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from fcgiwire import begin, params, rec, read_until_end, PARAMS, STDIN

sock = sys.argv[1]
req = begin() + rec(PARAMS, params(b"/1")) + rec(PARAMS, b"") + rec(STDIN, b"")
a = socket.socket(socket.AF_UNIX); a.connect(sock); a.settimeout(5)
a.sendall(req)
read_until_end(a)
a.settimeout(1)
try:
    a_eof = a.recv(1) == b""
except socket.timeout:
    a_eof = False
b = socket.socket(socket.AF_UNIX); b.connect(sock); b.settimeout(10)
t = time.monotonic()
b.sendall(req)
out = read_until_end(b)
ms = int((time.monotonic() - t) * 1000)
print("a_eof=%s b_ms=%d b_ok=%s" % (a_eof, ms, b"Status: 200" in out and b'data-id="1"' in out))
a.close()
