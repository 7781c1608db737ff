# fake_ws.py PORT NOTIFY_PATH - a one-client WebSocket server for bench/check_tools.sh: for each
# of 3 connections to the Unix socket NOTIFY_PATH (a publish) it sends one message in a shape a
# load generator must count right: a ping, then a text frame split over three writes (its payload 300 ms after its header); a text
# message in two fragments with a ping between them; a binary frame (not a joke) then an empty
# text frame. Prints on stderr, in hex, what the client sent back (its pongs).
import socket, sys, os, threading, time, base64, hashlib
port, npath = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); ls.bind(("127.0.0.1", port)); ls.listen(8)
ns = socket.socket(socket.AF_UNIX); ns.bind(npath); ns.listen(8)
c, _ = ls.accept()
req = b""
while b"\r\n\r\n" not in req: req += c.recv(4096)
key = [l.split(b": ")[1] for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
acc = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
pongs = []
def rd():
    while True:
        d = c.recv(4096)
        if not d: return
        pongs.append(d)
threading.Thread(target=rd, daemon=True).start()
n = 0
while True:
    a, _ = ns.accept(); a.recv(65536); a.close(); n += 1
    if n == 1:   # a text frame in three writes, a ping before it
        c.sendall(b"\x89\x02hi"); f = b"\x81\x7e\x01\x00" + b"a" * 256
        for part in (f[:1], f[1:4], f[4:]): c.sendall(part); time.sleep(0.3 if len(part) == 3 else 0.01)
    elif n == 2: # fragmented: text without FIN, a ping in between, continuation with FIN
        c.sendall(b"\x01\x03abc"); c.sendall(b"\x89\x00"); c.sendall(b"\x80\x03def")
    else:        # a binary frame (not counted) then an empty text frame
        c.sendall(b"\x82\x01z\x81\x00")
        time.sleep(0.3); print("pongs:", b"".join(pongs).hex(), file=sys.stderr); break
