#!/usr/bin/env python3
"""soak.py - one soak run of the whole jokes stack under faults (what tests/soak/soak.sh runs).

    soak.py --mode sqlite|redis --dir DIR --root ROOT --bin BUILD --minutes M --seed S
            [--watchers K] [--fault-every SECS] [--fleet-resume last|first|none]

Starts, in DIR (a mktemp -d directory) and on loopback only: the fake joke APIs
(tests/fake_api.py, switching between healthy and hostile answers), jokes-fcgi (two processes
on one FastCGI socket held by this program, as systemd's jokes-fcgi.socket holds it), the
shipped nginx site (tools/proxy-conf.sh), and either one jokes-pushd fed from SQLite (mode
sqlite) or a redis-server and two jokes-pushd nodes fed from it behind an nginx upstream
(mode redis). jokes-fetch runs every second. K WebSocket watchers (tests/tools/ws_fleet.py,
several processes) and the page in Chromium (tests/soak/page.mjs) record every joke id they
are shown; a sampler asks the page and the API through nginx 5 times a second.
Every FAULT_EVERY seconds (jittered, seeded) one fault, the kinds in a shuffled deck so each
comes once before any repeats. At the end: the table (stdout) and exit 1 when a joke was lost,
doubled or shown out of order, a 5xx fell outside the ±5 s around a fault, a daemon exited
that no fault had stopped, pushd's descriptors did not come back to their baseline, a fetch
run failed or a fault could not be done.
Every process is started here and stopped by its PID. Standard library only.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

WINDOW = 5.0  # seconds around a fault in which a 5xx is the fault's
RESTART_SECS = {"pushd": 1.0, "fcgi": 2.0}  # as the shipped units' RestartSec (pushd: ~1 s)
HOSTILE = ["html", "truncated", "array", "number", "huge", "drip", "gzip-bomb", "redirect-loop",
           "429-seconds", "503-seconds", "500-then-ok", "500", "hang", "same", "bad-utf8"]
SOURCES = ["chucknorris", "icanhazdadjoke", "jokeapi", "official"]


def now():
    return time.time()


class Soak:
    def __init__(self, a):
        self.a = a
        self.mode = a.mode
        self.dir = a.dir
        self.root = a.root
        self.bin = a.bin
        self.rng = random.Random(a.seed)
        self.t0 = now()
        self.lock = threading.RLock()
        self.procs = {}        # name -> Popen, every process this run started and still owns
        self.expected_exit = {}  # name -> time a fault stopped it on purpose
        self.unexpected = []   # (time, name, returncode, log tail)
        self.restart_at = {}   # supervised name -> when to start it again
        self.stopping = False
        self.faults = []       # dicts: kind, start, end, note
        self.samples = []      # (t, what, status or -1)
        self.fetch_rc = {}     # exit status -> count
        self.fetch_special = []  # queue of special runs for the fetch thread
        self.res = []          # (t, {node: (rss_kb, fds)})
        self.findings = []     # (t, text)
        self.harness_errors = []  # faults that could not be done, fetch runs that failed
        self.events = open(os.path.join(self.dir, "events.log"), "a", buffering=1)
        for d in ("state", "sock", "logs", "web/logs", "web/tmp", "reports"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.conf = os.path.join(self.dir, "jokes.conf")
        self.db = os.path.join(self.dir, "state", "jokes.db")
        self.notify = os.path.join(self.dir, "sock", "notify.sock")
        self.ws_sock = os.path.join(self.dir, "sock", "ws.sock")
        self.fcgi_sock = os.path.join(self.dir, "sock", "fcgi.sock")
        self.nodes = ["pushd"] if self.mode == "sqlite" else ["node-a", "node-b"]
        self.node_port, self.metrics_port = {}, {}

    # --- logging ------------------------------------------------------------------------
    def log(self, msg):
        line = "%s +%6.1fs %s" % (time.strftime("%H:%M:%S", time.gmtime()), now() - self.t0, msg)
        self.events.write(line + "\n")
        print("# " + line, flush=True)

    def finding(self, text):
        self.findings.append((now(), text))
        self.log("FINDING: " + text)

    # --- processes --------------------------------------------------------------------------
    def start(self, name, argv, stdin=None, env=None, logname=None):
        out = open(os.path.join(self.dir, "logs", (logname or name) + ".log"), "ab")
        p = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=out, stderr=out, env=dict(os.environ, **(env or {})),
                             close_fds=True)
        out.close()
        with self.lock:
            self.procs[name] = p
        return p

    def stop(self, name, sig=signal.SIGTERM, wait=5.0):
        """Stop one process by its PID (TERM, then KILL after WAIT s); marked as expected."""
        with self.lock:
            p = self.procs.get(name)
            self.expected_exit[name] = now()
        if p is None or p.poll() is not None:
            return None
        p.send_signal(sig)
        try:
            return p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait()

    def stop_all(self):
        self.stopping = True
        with self.lock:
            names = list(self.procs)
        for name in reversed(names):
            self.stop(name, wait=3.0)

    def pid(self, name):
        p = self.procs.get(name)
        return p.pid if p is not None and p.poll() is None else None

    def tail(self, logname, n=8):
        try:
            with open(os.path.join(self.dir, "logs", logname + ".log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + l for l in lines[-n:])

    def supervise(self):
        """Restart a supervised daemon that ended (as systemd's Restart= would), and note an
        exit no fault asked for."""
        watched = ("pushd", "node-a", "node-b", "fcgi", "nginx", "redis", "page", "fake_api")
        with self.lock:
            t = now()
            for name, p in list(self.procs.items()):
                rc = p.poll()
                if rc is None or self.stopping or name in self.restart_at:
                    continue
                base = name.split("#")[0]
                planned = t - self.expected_exit.get(name, -1e9) < 15
                if base in ("pushd", "node-a", "node-b", "fcgi"):
                    delay = RESTART_SECS["fcgi" if base == "fcgi" else "pushd"]
                    self.restart_at[name] = t + delay
                    self.log("%s (pid %d) ended (%s); restarting in %.0f s" % (name, p.pid, rc, delay))
                elif base not in watched and not base.startswith("fleet"):
                    continue
                else:
                    self.procs.pop(name)
                if not planned:
                    self.unexpected.append((t, name, rc, self.tail(self.logname(name))))
                    self.finding("%s (pid %d) exited with %s and no fault stopped it:\n%s" % (
                        name, p.pid, rc, self.tail(self.logname(name))))
            for name, when in list(self.restart_at.items()):
                if t >= when:
                    del self.restart_at[name]
                    self.launch(name)

    @staticmethod
    def logname(name):
        return name.replace("#", "-")

    def launch(self, name):
        base = name.split("#")[0]
        if base == "fcgi":
            p = self.start(name, [os.path.join(self.bin, "jokes-fcgi"), "-c", self.conf],
                           stdin=self.fcgi_listener.fileno(), logname="fcgi")
        elif base in ("pushd", "node-a", "node-b"):
            conf = self.conf if base == "pushd" else os.path.join(self.dir, base + ".conf")
            p = self.start(name, [os.path.join(self.bin, "jokes-pushd"), "-c", conf])
        else:
            raise ValueError(name)
        self.log("%s started (pid %d)" % (name, p.pid))
        return p

    # --- helpers ----------------------------------------------------------------------------
    def free_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def wait_for(self, what, probe, secs=15.0):
        end = now() + secs
        while now() < end:
            try:
                if probe():
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        self.log("%s: not within %.0f s" % (what, secs))
        return False

    def http(self, path, port=None, timeout=5.0):
        c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            c.request("GET", path, headers={"Accept": "application/json"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def api(self, body):
        c = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=5)
        try:
            c.request("POST", "/_control", json.dumps(body), {"Content-Type": "application/json"})
            c.getresponse().read()
        finally:
            c.close()

    def sql(self, q):
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return c.execute(q).fetchall()
        finally:
            c.close()

    def max_id(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM jokes")[0][0]

    def connectable(self, path):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def node_up(self, node):
        if self.mode == "sqlite":
            return self.pid(node) is not None and self.connectable(self.ws_sock)
        st, _ = self.http("/healthz", self.metrics_port[node], 1)
        return st == 200

    def metric(self, node, name):
        try:
            _, body = self.http("/metrics", self.metrics_port[node], 2)
        except OSError:
            return None
        for line in body.decode().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "jokes_pushd_" + name:
                return float(parts[1])
        return None

    # --- set-up -----------------------------------------------------------------------------
    def setup(self):
        port_file = os.path.join(self.dir, "api.port")
        self.start("fake_api", [sys.executable, os.path.join(self.root, "tests/fake_api.py"),
                                "--port-file", port_file])
        self.wait_for("fake_api.py", lambda: os.path.exists(port_file))
        self.api_port = int(open(port_file).read())
        self.port = self.free_port()
        api = "http://127.0.0.1:%d" % self.api_port
        keys = {
            "state_dir": os.path.join(self.dir, "state"),
            "notify_socket": self.notify if self.mode == "sqlite" else "",
            "pushd_listen": "unix:" + self.ws_sock,
            "pushd_metrics_listen": "",
            "pushd_workers": "2",
            "log_level": "info",
            "fetch_sources": "chucknorris, icanhazdadjoke, jokeapi, official, bundled",
            "fetch_chucknorris_url": api + "/chucknorris/jokes/random",
            "fetch_icanhazdadjoke_url": api + "/icanhazdadjoke/",
            "fetch_jokeapi_url": api + "/jokeapi/joke/Any",
            "fetch_official_url": api + "/official/random_joke",
            "fetch_retries": "0",
            "fetch_connect_timeout_ms": "1000",
            "fetch_timeout_ms": "1500",
            "fetch_budget_ms": "3000",
            "fcgi_base_url": "http://127.0.0.1:%d" % self.port,
        }
        if self.mode == "sqlite":
            self.metrics_port["pushd"] = self.free_port()
            keys["pushd_metrics_listen"] = "127.0.0.1:%d" % self.metrics_port["pushd"]
        else:
            self.redis_port = self.free_port()
            keys["redis_url"] = "redis://127.0.0.1:%d" % self.redis_port
            self.start_redis()
        with open(self.conf, "w") as f:
            f.writelines("%s = %s\n" % kv for kv in keys.items())
        for _ in range(3):  # the database first: the readers open it read-only
            self.fetch_once()
        if self.mode == "redis":
            for n in self.nodes:
                self.node_port[n], self.metrics_port[n] = self.free_port(), self.free_port()
                with open(os.path.join(self.dir, n + ".conf"), "w") as f:
                    f.write("pushd_source = redis\nredis_url = redis://127.0.0.1:%d\n"
                            "db_path = %s/%s/no-database/jokes.db\nnotify_socket =\n"
                            "pushd_listen = 127.0.0.1:%d\npushd_metrics_listen = 127.0.0.1:%d\n"
                            "pushd_workers = 1\nlog_level = info\n" % (
                                self.redis_port, self.dir, n, self.node_port[n],
                                self.metrics_port[n]))
        for n in self.nodes:
            self.launch(n)
            self.wait_for(n, lambda n=n: self.node_up(n))
        # the FastCGI socket, held here as systemd's jokes-fcgi.socket holds it: a jokes-fcgi
        # that dies leaves it listening, and the next one takes the queued connections
        self.fcgi_listener = socket.socket(socket.AF_UNIX)
        self.fcgi_listener.bind(self.fcgi_sock)
        os.chmod(self.fcgi_sock, 0o660)
        self.fcgi_listener.listen(128)
        for i in range(2):
            self.launch("fcgi#%d" % i)
        self.render_nginx()
        self.start_nginx()

    def start_redis(self):
        rd = os.path.join(self.dir, "redis")
        os.makedirs(rd, exist_ok=True)
        self.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                             "--dir", rd, "--save", "", "--appendonly", "no"])
        self.wait_for("redis-server", lambda: self.redis_cmd("PING") == "PONG")

    def redis_cmd(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.redis_port)] + list(args),
                           capture_output=True, text=True, timeout=5)
        return r.stdout.strip()

    def render_nginx(self):
        web = os.path.join(self.dir, "web")
        ws = self.ws_sock if self.mode == "sqlite" else os.path.join(self.dir, "sock", "ws-unused.sock")
        common = ["PREFIX=" + web, "STATIC_DIR=" + os.path.join(self.root, "static"),
                  "FCGI_SOCKET=" + self.fcgi_sock, "WS_SOCKET=" + ws,
                  "LISTEN=127.0.0.1:%d" % self.port, "SERVER_NAME=_",
                  "ACCESS_LOG=" + os.path.join(web, "logs/access.log"), "WORKERS=1",
                  "USER_LINE=" + ("user root;" if os.getuid() == 0 else "")]
        conf = os.path.join(self.root, "tools/proxy-conf.sh")
        site = subprocess.run([conf, "nginx-site"] + common, check=True, capture_output=True,
                              text=True).stdout
        main = subprocess.run([conf, "nginx-main"] + common, check=True, capture_output=True,
                              text=True).stdout
        if self.mode == "redis":  # the site's two push locations name the nodes' upstream
            up = "upstream jokes_push {\n\tleast_conn;\n" + "".join(
                "\tserver 127.0.0.1:%d max_fails=1 fail_timeout=2s;\n" % self.node_port[n]
                for n in self.nodes) + "}\n"
            old = "proxy_pass http://unix:%s;" % ws
            if site.count(old) != 2:
                raise SystemExit("soak: the site's push locations are not where expected")
            site = up + site.replace(old, "proxy_pass http://jokes_push;")
        with open(os.path.join(web, "jokes-site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(web, "nginx.conf"), "w") as f:
            f.write(main)

    def start_nginx(self):
        web = os.path.join(self.dir, "web")
        p = self.start("nginx", ["nginx", "-p", web + "/", "-c", os.path.join(web, "nginx.conf"),
                                 "-e", os.path.join(web, "logs/error.log")])
        ok = self.wait_for("nginx", lambda: self.http("/jokes/", timeout=1)[0] == 200)
        self.log("nginx started (pid %d) on 127.0.0.1:%d" % (p.pid, self.port))
        return ok

    # --- the fetcher: every second, and the faults' special runs -----------------------------
    def fetch_once(self, kill_after=None, name="fetch"):
        p = self.start(name, [os.path.join(self.bin, "jokes-fetch"), "-c", self.conf],
                       logname="fetch")
        if kill_after is not None:
            time.sleep(kill_after)
            rc = p.poll()
            if rc is None:
                self.expected_exit[name] = now()
                p.kill()
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            self.finding("jokes-fetch ran for more than 30 s (budget %s ms)" % "3000")
        with self.lock:
            self.fetch_rc[rc] = self.fetch_rc.get(rc, 0) + 1
            self.procs.pop(name, None)
        if rc not in (0, 75, -9):
            self.harness_errors.append("jokes-fetch exited %s" % rc)
            self.finding("jokes-fetch exited %s:\n%s" % (rc, self.tail("fetch", 4)))
        return rc

    def fetch_loop(self):
        next_at = now()
        while not self.stop_fetch:
            with self.lock:
                special = self.fetch_special.pop(0) if self.fetch_special else None
            if special is not None:
                special()
                next_at = now() + 1
                continue
            if now() >= next_at:
                next_at += 1
                if now() > next_at:
                    next_at = now() + 1
                self.fetch_once()
            time.sleep(0.02)

    def api_loop(self):
        """The fake APIs: healthy, then hostile (some sources, random bad answers), in turn."""
        rng = random.Random(self.a.seed + 1)
        while not self.stop_fetch:
            try:
                if rng.random() < 0.5:
                    self.api({"source": "*", "mode": "ok"})
                    what = "healthy"
                else:
                    # the first sources, so that every run goes through the failover
                    bad = SOURCES[:rng.randint(1, 4)]
                    what = []
                    for s in bad:
                        m = rng.choice(HOSTILE)
                        if m == "bad-utf8":
                            self.api({"source": s, "mode": "text", "hex": "4a6f6b65ff20c0af"})
                        else:
                            self.api({"source": s, "mode": m})
                        what.append("%s=%s" % (s, m))
                    for s in set(SOURCES) - set(bad):
                        self.api({"source": s, "mode": "ok"})
                    what = "hostile " + " ".join(what)
                self.log("fake APIs: " + what)
            except OSError as e:
                self.log("fake APIs: control failed: %s" % e)
            end = now() + rng.uniform(4, 9)
            while now() < end and not self.stop_fetch:
                time.sleep(0.1)

    # --- the sampler: 5 requests a second through nginx -------------------------------------
    def sample_loop(self):
        rng = random.Random(self.a.seed + 2)
        i = 0
        while not self.stop_sampling:
            t = now()
            top = max(self.top_id, 4)
            what = ["/jokes/", "/jokes/api/jokes?limit=5",
                    "/jokes/api/jokes?since=%d&limit=3" % rng.randint(1, top),
                    "/jokes/%d" % rng.randint(1, top), "/jokes/feed.atom"][i % 5]
            i += 1
            try:
                st, _ = self.http(what, timeout=5)
            except (OSError, http.client.HTTPException):
                st = -1
            self.samples.append((t, what, st))
            time.sleep(max(0.0, t + 0.2 - now()))

    # --- pushd's memory and descriptors -----------------------------------------------------
    def proc_tree(self, pid):
        out = [pid]
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
        return out

    def usage(self, node):
        pid = self.pid(node)
        if pid is None:
            return None
        rss = fds = 0
        for p in self.proc_tree(pid):
            try:
                with open("/proc/%d/status" % p) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss += int(line.split()[1])
                fds += len(os.listdir("/proc/%d/fd" % p))
            except OSError:
                pass
        return rss, fds

    def usage_all(self):
        return {n: self.usage(n) for n in self.nodes}

    # --- the clients ------------------------------------------------------------------------
    def start_clients(self):
        self.since0 = self.max_id()
        fleet = os.path.join(self.root, "tests/tools/ws_fleet.py")
        k = self.a.watchers
        self.fleets = []
        per = [k // 4 + (1 if i < k % 4 else 0) for i in range(4)]
        for i, n in enumerate(per):
            st = os.path.join(self.dir, "reports", "fleet%d.status" % i)
            rep = os.path.join(self.dir, "reports", "fleet%d.json" % i)
            self.start("fleet%d" % i, [sys.executable, fleet, "127.0.0.1", str(self.port), str(n),
                                       str(self.since0), st, rep, "--backoff=page",
                                       "--seed=%d" % (self.a.seed + 10 + i),
                                       "--resume=" + self.a.fleet_resume])
            self.fleets.append((n, st, rep))
        self.page_report = os.path.join(self.dir, "reports", "page.json")
        self.start("page", ["node", os.path.join(self.root, "tests/soak/page.mjs"),
                            "http://127.0.0.1:%d/jokes/" % self.port, self.page_report])
        ok = self.wait_for("%d watchers and the page connected" % k, lambda: self.connected() == k
                           and self.page_state().get("state") == "live", 40)
        self.log("%d watchers connected from id %d; the page is %s" % (
            self.connected(), self.since0, self.page_state().get("text")))
        return ok

    def fleet_status(self):
        out = []
        for _, st, _ in self.fleets:
            try:
                with open(st) as f:
                    out.append(json.load(f))
            except (OSError, ValueError):
                out.append({})
        return out

    def connected(self):
        return sum(s.get("connected", 0) for s in self.fleet_status())

    def page_state(self):
        try:
            with open(self.page_report) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    # --- the faults -------------------------------------------------------------------------
    def kinds(self):
        k = ["pushd-kill9", "fcgi-kill9", "nginx-reload", "nginx-restart", "fetch-kill",
             "long-read", "burst-200", "clients-2000"]
        if self.mode == "sqlite":
            k.append("notify-unlink")
        else:
            k[0] = "node-kill9"
            k.append("redis-restart-empty")
        return k

    def fault(self, kind):
        f = {"kind": kind, "start": now(), "end": None, "note": ""}
        with self.lock:
            self.faults.append(f)
        self.log("FAULT %s" % kind)
        try:
            f["note"] = getattr(self, "f_" + kind.replace("-", "_"))() or ""
        except Exception as e:  # noqa: BLE001 - a fault that breaks is reported, never hidden
            f["note"] = "fault failed: %r" % e
            self.harness_errors.append("fault %s failed: %r" % (kind, e))
            self.finding("fault %s failed: %r" % (kind, e))
        f["end"] = now()
        self.log("FAULT %s done in %.1f s %s" % (kind, f["end"] - f["start"], f["note"]))

    def kill9_node(self, node):
        pid = self.pid(node)
        with self.lock:
            self.expected_exit[node] = now()
        os.kill(pid, signal.SIGKILL)
        self.wait_for("%s down" % node, lambda: self.pid(node) is None, 5)
        ok = self.wait_for("%s back" % node, lambda: self.node_up(node), 15)
        return "pid %d; back %s" % (pid, "yes" if ok else "NO")

    def f_pushd_kill9(self):
        return self.kill9_node("pushd")

    def f_node_kill9(self):
        return self.kill9_node(self.rng.choice(self.nodes))

    def f_fcgi_kill9(self):
        name = self.rng.choice(["fcgi#0", "fcgi#1"])
        pid = self.pid(name)
        if pid is None:
            return "%s was not running" % name
        with self.lock:
            self.expected_exit[name] = now()
        os.kill(pid, signal.SIGKILL)
        self.wait_for("%s back" % name, lambda: self.pid(name) is not None, 10)
        return "%s pid %d" % (name, pid)

    def f_nginx_reload(self):
        pid = self.pid("nginx")
        os.kill(pid, signal.SIGHUP)
        time.sleep(1)
        return "SIGHUP to master %d" % pid

    def f_nginx_restart(self):
        pid = self.pid("nginx")
        self.stop("nginx", signal.SIGTERM, 10)
        time.sleep(self.rng.uniform(0.5, 1.5))
        ok = self.start_nginx()
        return "pid %d stopped, %d started%s" % (pid, self.pid("nginx") or 0, "" if ok else " NOT UP")

    def f_fetch_kill(self):
        after = self.rng.choice([None, self.rng.uniform(0.0005, 0.008)])
        done = threading.Event()
        note = []

        def run():
            if after is None:  # in the middle of a slow API answer
                self.api({"source": "*", "mode": "drip", "times": 1})
                note.append(self.fetch_once(self.rng.uniform(0.05, 0.5), name="fetch-killed"))
            else:  # somewhere between start and exit (a run takes a few ms)
                note.append(self.fetch_once(after, name="fetch-killed"))
            done.set()
        with self.lock:
            self.fetch_special.append(run)
        done.wait(30)
        return "%s; exit %s" % ("during a drip answer" if after is None else
                                "%.0f ms after exec" % (after * 1000), note[0] if note else "?")

    def f_long_read(self):
        hold = self.rng.uniform(5, 10)
        c = sqlite3.connect(self.db, timeout=10, isolation_level=None)
        c.execute("BEGIN")
        n = c.execute("SELECT count(*) FROM jokes").fetchone()[0]
        time.sleep(hold)
        c.execute("COMMIT")
        c.close()
        return "read transaction over %d rows held %.1f s" % (n, hold)

    def f_notify_unlink(self):
        os.unlink(self.notify)
        before = self.max_id()
        back = self.wait_for("notify socket re-created", lambda: os.path.exists(self.notify), 10)
        after = self.max_id()
        if back:
            return "pushd re-created it"
        self.finding("jokes-pushd did not make its notify socket %s again within 10 s of it "
                     "being removed (%d jokes stored meanwhile, each fetch warned that the "
                     "socket is missing; their delivery times are the notify-unlink row); "
                     "restarted as an operator would" % (self.notify, after - before))
        pid = self.pid("pushd")
        self.stop("pushd", signal.SIGTERM, 10)  # the supervisor starts it again
        ok = self.wait_for("pushd back", lambda: self.pid("pushd") not in (None, pid)
                           and self.node_up("pushd"), 15)
        return "not re-created in 10 s; operator restart of pid %d%s" % (pid, "" if ok else " NOT UP")

    def f_burst_200(self):
        done = threading.Event()
        got = []

        def run():
            self.api({"source": "*", "mode": "ok"})
            first = self.max_id()
            for _ in range(200):
                self.fetch_once(name="fetch-burst")
            got.append(self.max_id() - first)
            done.set()
        with self.lock:
            self.fetch_special.append(run)
        done.wait(120)
        return "%s jokes stored" % (got[0] if got else "?")

    def f_clients_2000(self):
        before = self.usage_all()
        p = self.start("burst", [sys.executable, os.path.join(self.root, "tests/soak/burst.py"),
                                 "127.0.0.1", str(self.port), "2000", "4", "2"])
        try:
            p.wait(90)
        except subprocess.TimeoutExpired:
            self.stop("burst")
        with self.lock:
            self.procs.pop("burst", None)
        try:
            with open(os.path.join(self.dir, "logs", "burst.log")) as f:
                res = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            res = {}
        time.sleep(10)
        after = self.usage_all()
        self.burst_usage.append((before, after))
        return "connected %s of 2000 in %s s; pushd (rss KB, fds) before %s, 10 s after %s" % (
            res.get("connected"), res.get("connect_secs"), before, after)

    def f_redis_restart_empty(self):
        self.stop("redis", signal.SIGTERM, 10)
        down = self.rng.uniform(3, 6)
        time.sleep(down)
        self.start_redis()
        ok = self.wait_for("stream backfilled", lambda: self.redis_cmd("XLEN", "jokes") not in ("", "0"), 15)
        ok2 = self.wait_for("nodes back on redis", lambda: all(
            self.metric(n, "redis_up") == 1 for n in self.nodes), 20)
        return "down %.1f s; backfilled %s, nodes up %s (XLEN %s)" % (
            down, ok, ok2, self.redis_cmd("XLEN", "jokes"))

    # --- the run ----------------------------------------------------------------------------
    def run(self):
        self.log("soak %s: seed %d, %s min, %d watchers, a fault every ~%.0f s" % (
            self.mode, self.a.seed, self.a.minutes, self.a.watchers, self.a.fault_every))
        self.stop_fetch = self.stop_sampling = False
        self.top_id = 3
        self.burst_usage = []
        self.setup()
        threads = [threading.Thread(target=t, daemon=True) for t in
                   (self.fetch_loop, self.api_loop, self.sample_loop)]
        for t in threads:
            t.start()
        if not self.start_clients():
            self.finding("the watchers or the page did not all connect at start")
        time.sleep(3)
        self.usage_start = self.usage_all()
        self.log("pushd (rss KB, fds) at start: %s" % self.usage_start)
        end = now() + self.a.minutes * 60
        deck = []
        next_fault = now() + self.rng.uniform(0.5, 1.0) * self.a.fault_every
        fault_thread = None
        while now() < end:
            self.supervise()
            self.top_id = self.max_id()
            if (fault_thread is None or not fault_thread.is_alive()) and now() >= next_fault:
                if not deck:
                    deck = self.kinds()
                    self.rng.shuffle(deck)
                kind = deck.pop()
                fault_thread = threading.Thread(target=self.fault, args=(kind,), daemon=True)
                fault_thread.start()
                next_fault = now() + self.rng.uniform(0.67, 1.33) * self.a.fault_every
            u = self.usage_all()
            self.res.append((now(), u))
            time.sleep(0.2)
        self.log("faults stop; letting the clients catch up")
        while fault_thread is not None and fault_thread.is_alive():
            self.supervise()
            time.sleep(0.2)
        try:
            self.api({"source": "*", "mode": "ok"})
        except OSError as e:
            self.finding("the fake APIs do not answer at the end: %s" % e)
        self.stop_fetch = True
        for t in threads[:2]:
            t.join(60)
        settle_end = now() + 45
        top = self.max_id()
        while now() < settle_end:
            self.supervise()
            sts = self.fleet_status()
            if sum(s.get("connected", 0) for s in sts) == self.a.watchers and \
                    min(s.get("min_last", 0) for s in sts) >= top and \
                    self.page_state().get("newest", 0) >= top:
                break
            time.sleep(0.5)
        self.log("settled in %.1f s: %d watchers connected, newest %s of %d; page at %s" % (
            now() - settle_end + 45, sum(s.get("connected", 0) for s in self.fleet_status()),
            min(s.get("min_last", 0) for s in self.fleet_status()), top,
            self.page_state().get("newest")))
        time.sleep(2.5)  # one more page report
        self.usage_end = self.usage_all()
        self.log("pushd (rss KB, fds) at end: %s" % self.usage_end)
        self.stop_sampling = True
        threads[2].join(10)
        for i in range(len(self.fleets)):
            self.stop("fleet%d" % i, wait=20)
        self.stop("page", wait=20)
        return self.analyse()

    # --- the verdict ------------------------------------------------------------------------
    def fill(self, since):
        """Every joke after SINCE from the JSON API through nginx, as the page's fillGap."""
        ids, url = [], "/jokes/api/jokes?since=%d&limit=100" % since
        for _ in range(100):
            st, body = self.http(url)
            if st != 200:
                raise OSError("fill %s: HTTP %d" % (url, st))
            doc = json.loads(body)
            ids += [j["id"] for j in doc.get("jokes", [])]
            nxt = doc.get("next")
            if not nxt:
                break
            url = nxt[nxt.index("/jokes/"):] if "/jokes/" in nxt else nxt
        return ids

    def latency(self, first_seen):
        """From fetched_at (whole seconds) to the first watcher that had the joke: the median
        and the worst, outside faults and within each kind's windows."""
        rows = self.sql("SELECT id, strftime('%%s', fetched_at) FROM jokes WHERE id > %d" % self.since0)
        by = {}
        for i, fa in rows:
            if i not in first_seen or fa is None:
                continue
            t = int(fa)
            kinds = [f["kind"] for f in self.faults
                     if f["start"] - 1 <= t <= (f["end"] or now()) + 1] or ["no fault"]
            for k in kinds:
                by.setdefault(k, []).append(first_seen[i] - t)
        out = []
        for k in sorted(by):
            v = sorted(by[k])
            out.append("delivery (fetched_at, a whole second, to the first watcher) %s: %d jokes, "
                       "median %.1f s, worst %.1f s" % (k, len(v), v[len(v) // 2], v[-1]))
        return out

    def in_window(self, t):
        return any(f["start"] - WINDOW <= t <= (f["end"] or now()) + WINDOW for f in self.faults)

    def analyse(self):
        all_ids = [r[0] for r in self.sql("SELECT id FROM jokes ORDER BY id")]
        top = all_ids[-1] if all_ids else 0
        fails = []
        rows = []
        want_w = set(i for i in all_ids if i > self.since0)
        first_seen = {}  # joke id -> the first time any watcher had it
        wsum = {"bad": 0, "n": 0, "got": 0, "filled": 0, "lost": 0, "doubled": 0, "disorder": 0,
                "reconnects": 0, "gaps": 0, "worst": ""}
        for _, _, rep in self.fleets:
            try:
                with open(rep) as f:
                    report = json.load(f)
            except (OSError, ValueError):
                fails.append("a fleet report is missing: %s" % rep)
                continue
            for c in report:
                ids = c["ids"]
                for i, t in zip(ids, c.get("at", [])):
                    if t < first_seen.get(i, 1e18):
                        first_seen[i] = t
                filled = set()
                for g in c["gaps"]:
                    try:
                        filled |= set(self.fill(g["since"]))
                    except (OSError, ValueError, http.client.HTTPException) as e:
                        fails.append("a gap fill failed: %s" % e)
                seen, hi, doubled, disorder, bad = set(), 0, 0, 0, []
                for i in ids:
                    if i in seen:
                        doubled += 1
                        bad.append(i)
                    elif i < hi:
                        disorder += 1
                        bad.append(i)
                    seen.add(i)
                    hi = max(hi, i)
                missing = want_w - seen - filled
                wsum["n"] += 1
                wsum["got"] += len(ids)
                wsum["filled"] += len(filled - seen)
                wsum["lost"] += len(missing)
                wsum["doubled"] += doubled
                wsum["disorder"] += disorder
                wsum["reconnects"] += c["reconnects"]
                wsum["gaps"] += len(c["gaps"])
                wsum["bad"] += bool(missing or bad)
                if (missing or bad) and not wsum["worst"]:
                    wsum["worst"] = "first bad watcher: lost %s, doubled or out of order %s" % (
                        sorted(missing)[:10], bad[:10])
        rows.append(("watchers", wsum))
        lat_lines = self.latency(first_seen)
        pg = self.page_state()
        initial, shown = pg.get("initial", []), pg.get("shown", [])
        p0 = max(initial) if initial else 0
        want_p = set(i for i in all_ids if i > p0)
        cnt = {}
        for i in shown:
            cnt[i] = cnt.get(i, 0) + 1
        late, hi = 0, 0
        for i in shown:
            late += i < hi
            hi = max(hi, i)
        psum = {"bad": None, "n": 1, "got": len(shown), "filled": 0, "lost": len(want_p - set(shown) - set(initial)),
                "doubled": sum(v - 1 for v in cnt.values()) + len(set(initial) & set(shown)),
                "disorder": len(pg.get("violations", [])), "reconnects": None, "gaps": None,
                "worst": "transport at end: %s; %d cards were added below a newer one (gap "
                         "fills, allowed)" % (pg.get("text"), late)}
        if psum["lost"]:
            psum["worst"] += "; lost e.g. %s" % sorted(want_p - set(shown) - set(initial))[:10]
        if pg.get("violations"):
            psum["worst"] += "; list not descending: %s" % pg["violations"][:3]
        if pg.get("errors"):
            psum["worst"] += "; page errors: %s" % pg["errors"][:3]
        rows.append(("page", psum))
        for who, s in rows:
            for k in ("lost", "doubled", "disorder"):
                if s[k]:
                    fails.append("%s: %d %s" % (who, s[k], k))
        # the sampler
        by = {}
        five_in = five_out = err_in = err_out = 0
        out_examples = []
        for t, what, st in self.samples:
            by[st] = by.get(st, 0) + 1
            w = self.in_window(t)
            if st >= 500:
                if w:
                    five_in += 1
                else:
                    five_out += 1
                    out_examples.append("%s +%.1fs %s %d" % (time.strftime("%H:%M:%S", time.gmtime(t)),
                                                             t - self.t0, what, st))
            elif st < 0:
                if w:
                    err_in += 1
                else:
                    err_out += 1
                    out_examples.append("%s +%.1fs %s no answer" % (
                        time.strftime("%H:%M:%S", time.gmtime(t)), t - self.t0, what))
        if five_out:
            fails.append("%d 5xx outside a fault window: %s" % (five_out, out_examples[:5]))
        if err_out:
            fails.append("%d requests without an answer outside a fault window: %s" % (
                err_out, out_examples[:5]))
        fails += self.harness_errors
        if self.unexpected:
            fails.append("daemons exited that no fault stopped: %s" % [
                (u[1], u[2]) for u in self.unexpected])
        # pushd's resources
        res_lines = []
        for n in self.nodes:
            s, e = self.usage_start.get(n), self.usage_end.get(n)
            if not s or not e:
                fails.append("%s: no usage at start or end" % n)
                continue
            rss_d = 100.0 * (e[0] - s[0]) / s[0]
            fd_ok = abs(e[1] - s[1]) <= max(3, s[1] // 10)
            res_lines.append("%s: RSS %d → %d KB (%+.1f %%), descriptors %d → %d%s" % (
                n, s[0], e[0], rss_d, s[1], e[1], "" if fd_ok else "  ← NOT back"))
            if not fd_ok:
                fails.append("%s: descriptors %d at start, %d at the end" % (n, s[1], e[1]))
            if abs(rss_d) > 10:
                res_lines[-1] += "  ← RSS more than 10 % off"
        base = sum(self.usage_start[n][1] for n in self.nodes if self.usage_start.get(n))
        for b, a in self.burst_usage:
            # descriptors over all nodes: watchers move between push nodes (least_conn) while
            # a fault has some of them away, so one node's count says nothing of a leak
            bs = sum(b[n][1] for n in self.nodes if b.get(n))
            as_ = sum(a[n][1] for n in self.nodes if a.get(n))
            if as_ > max(bs, base) + max(3, base // 10):
                fails.append("descriptors did not come back after the 2 000 clients (all nodes:"
                             " %d before, %d at start, %d after)" % (bs, base, as_))
            for n in self.nodes:
                if b.get(n) and a.get(n):
                    res_lines.append("%s 2 000-client fault: before RSS %d KB, %d fds; 10 s after "
                                     "RSS %d KB (%+.1f %%), %d fds" % (
                                         n, b[n][0], b[n][1], a[n][0],
                                         100.0 * (a[n][0] - b[n][0]) / b[n][0], a[n][1]))
                    # the workers give the crowd's heap back (loop.c heap_trim)
                    if a[n][0] > b[n][0] * 1.10:
                        fails.append("%s: RSS did not come back after the 2 000 clients"
                                     " (%d → %d KB)" % (n, b[n][0], a[n][0]))
        # the table
        kinds = {}
        for f in self.faults:
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
        out = []
        out.append("### Run: %s (seed %d, %s min, %d watchers + 1 page, %s UTC)" % (
            self.mode, self.a.seed, self.a.minutes, self.a.watchers,
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.t0))))
        out.append("")
        out.append("| faults by kind | count |")
        out.append("|---|---|")
        for k in self.kinds():
            out.append("| %s | %d |" % (k, kinds.get(k, 0)))
        out.append("")
        stored = len([i for i in all_ids if i > 3])
        out.append("Jokes stored during the run: %d (ids 4–%d); fetch runs by exit status: %s." % (
            stored, top, ", ".join("%s: %d" % (k if k >= 0 else "killed %d" % -k, v)
                                   for k, v in sorted(self.fetch_rc.items()))))
        out.append("")
        out.append("| who | jokes received | filled from the API | lost | doubled | out of order |"
                   " clients with any of these | reconnects | gap messages |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for who, s in rows:
            if s["bad"] is None:
                s["bad"] = int(bool(s["lost"] or s["doubled"] or s["disorder"]))
            out.append("| %s (%d) | %d | %d | %d | %d | %d | %d | %s | %s |" % (
                who, s["n"], s["got"], s["filled"], s["lost"], s["doubled"], s["disorder"], s["bad"],
                "—" if s["reconnects"] is None else s["reconnects"],
                "—" if s["gaps"] is None else s["gaps"]))
        out.append("")
        out.append("| fcgi answers through nginx (sampler, 5/s) | count |")
        out.append("|---|---|")
        for st in sorted(k for k in by if k < 500 and k >= 0):
            out.append("| %d | %d |" % (st, by[st]))
        out.append("| 5xx within ±5 s of a fault | %d |" % five_in)
        out.append("| 5xx outside | %d |" % five_out)
        out.append("| no answer within ±5 s of a fault | %d |" % err_in)
        out.append("| no answer outside | %d |" % err_out)
        out.append("")
        for line in res_lines + lat_lines:
            out.append("- " + line)
        out.append("")
        for who, s in rows:
            if s["worst"]:
                out.append("- %s: %s" % (who, s["worst"]))
        out.append("")
        out.append("Verdict: " + ("PASS" if not fails else "FAIL"))
        for f in fails:
            out.append("- " + f)
        if self.findings:
            out.append("")
            out.append("Findings:")
            for t, text in self.findings:
                out.append("- +%.1fs %s" % (t - self.t0, text.split("\n")[0]))
        table = "\n".join(out)
        with open(os.path.join(self.dir, "table-%s.md" % self.mode), "w") as f:
            f.write(table + "\n")
        with open(os.path.join(self.dir, "faults-%s.json" % self.mode), "w") as f:
            json.dump(self.faults, f, indent=1)
        self.log("verdict: %s (table in %s)" % ("PASS" if not fails else "FAIL: " + "; ".join(fails),
                                                 os.path.join(self.dir, "table-%s.md" % self.mode)))
        return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description="one soak run of jokes")
    ap.add_argument("--mode", choices=["sqlite", "redis"], required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--watchers", type=int, default=200)
    ap.add_argument("--fault-every", type=float, default=15)
    # the self-check: watchers that reconnect wrongly must make the run fail
    ap.add_argument("--fleet-resume", choices=["last", "first", "none"], default="last")
    a = ap.parse_args()
    if not (0 < a.minutes <= 1440 and 4 <= a.watchers <= 5000 and 3 <= a.fault_every <= 600):
        ap.error("minutes 0-1440, watchers 4-5000, fault-every 3-600")
    s = Soak(a)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(130))
    try:
        rc = s.run()
    finally:
        s.stop_fetch = s.stop_sampling = True  # no new fetch runs while everything stops
        s.stop_all()
    return rc


if __name__ == "__main__":
    sys.exit(main())
