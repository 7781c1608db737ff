# nchan_pub.py HOST PORT PATH [TEXT] - publish to nginx + nchan over one kept-alive HTTP
# connection: one joke message (the shape jokes-pushd sends, text "TEXT N", TEXT default
# "bench") per line read from standard input. The publisher wsload -K starts for the nchan
# reference in bench_pushd.sh.
import http.client, json, sys

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = sys.argv[4] if len(sys.argv) > 4 else "bench"
conn = http.client.HTTPConnection(host, port)
conn.connect()
for n, _ in enumerate(sys.stdin, 1):
    body = json.dumps({"type": "joke", "id": n, "text": "%s %d" % (text, n), "source": "test",
                       "fetched_at": "2026-11-24T10:00:15Z"}).encode()
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    if r.status >= 300:
        sys.exit("nchan_pub: HTTP %d" % r.status)
