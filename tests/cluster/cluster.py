#!/usr/bin/env python3
"""The cluster suite's scenarios (issue 14), against a topology started by scripts/cluster
(tests/cluster/run.sh does that). Python 3 standard library only; psql for the checks.

  tests/cluster/cluster.py [kill_server] [read_your_writes] [trickle] [restore]
    [proxy_errors] [failover]

Each scenario prints `ok NAME: ...` or `FAIL NAME: ...` with what it measured; the last
line is `cluster: N passed, N failed`. The order matters: failover promotes the standby, so
it runs last. All traffic goes to 127.0.0.0/8 and every load stops by itself.
"""
import datetime
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.environ.get("SANGKIEN_CLUSTER_STATE", os.path.join(ROOT, ".data", "cluster"))
PSQL = "/usr/lib/postgresql/15/bin/psql"


def load_env():
    env = {}
    with open(os.path.join(STATE, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip("'")
    return env


ENV = load_env()
HOST, PORT = "127.0.0.1", int(ENV["CLUSTER_URL"].rsplit(":", 1)[1])
CTX = ssl.create_default_context(cafile=ENV["CLUSTER_CA"])


def psql(url, sql):
    out = subprocess.run([PSQL, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def write_sql(sql):
    return psql(ENV["CLUSTER_WRITE_URL"], sql)


class Client:
    """One keep-alive HTTPS connection to the proxy, from a chosen loopback address."""

    def __init__(self, source="127.0.0.1", timeout=10):
        self.source, self.timeout, self.conn = source, timeout, None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(HOST, PORT, context=CTX, timeout=self.timeout,
                                                        source_address=(self.source, 0))
            try:
                h = dict(headers or {})
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    h["Content-Type"] = "application/json"
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                payload = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # A keep-alive connection the proxy closed while idle: a new one, once,
                # and only for a request that never reached a server (idempotent or not sent).
                self.conn.close()
                self.conn = None
                if attempt == 1 or method not in ("GET", "HEAD"):
                    raise e
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn:
            self.conn.close()


# ---------------------------------------------------------------- seeding
def seed(n_residents):
    """A ward, 3 groups, an open call, n residents with sessions. Returns (campaign, groups, sessions)."""
    tag = f"{random.randint(0, 99999999):08d}"
    out = write_sql(f"""
INSERT INTO wards (code, name) VALUES ('C{tag}', 'Phường cụm {tag}');
INSERT INTO residential_groups (ward_id, name)
  SELECT w.id, format('Tổ dân phố %s', i) FROM wards w, generate_series(1, 3) i WHERE w.code = 'C{tag}';
INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at)
  SELECT id, 'Phong trào chuyển đổi số (cụm)', 'Kiểm thử cụm.', now() - interval '1 day', now() + interval '2 hours'
  FROM wards WHERE code = 'C{tag}';
INSERT INTO criteria (campaign_id, ward_id, position, name, weight, max_score)
  SELECT c.id, c.ward_id, 1, 'Tính khả thi', 100, 10 FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE w.code = 'C{tag}';
UPDATE campaigns c SET state = 'open', config_digest = encode(sha256(convert_to(campaign_config_text(c.id), 'UTF8')), 'hex')
  FROM wards w WHERE w.id = c.ward_id AND w.code = 'C{tag}';
SELECT c.id || ' ' || (SELECT string_agg(g.id::text, ',') FROM residential_groups g WHERE g.ward_id = w.id)
  FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE w.code = 'C{tag}';
""")
    campaign, groups = out.split()
    groups = groups.split(",")
    rows = write_sql(f"""
CREATE TEMP TABLE seed AS SELECT i, substr(md5(random()::text) || md5(random()::text), 1, 43) AS token,
  substr(md5(random()::text) || md5(random()::text), 1, 43) AS csrf FROM generate_series(1, {n_residents}) i;
INSERT INTO accounts (login, login_kind, display_name)
  SELECT format('cl-{tag}-%s@example.vn', i), 'email', format('Cư dân %s', i) FROM seed;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
  SELECT a.id, c.ward_id, 'resident', {groups[0]} FROM seed s
  JOIN accounts a ON a.login = format('cl-{tag}-%s@example.vn', s.i), campaigns c WHERE c.id = {campaign};
INSERT INTO sessions (token_hash, csrf_token, account_id, created_at, last_seen_at, ip)
  SELECT sha256(convert_to(s.token, 'UTF8')), s.csrf, a.id, now(), now(), '127.0.0.1'
  FROM seed s JOIN accounts a ON a.login = format('cl-{tag}-%s@example.vn', s.i);
SELECT token || ' ' || csrf FROM seed ORDER BY i;
""")
    sessions = [tuple(line.split()) for line in rows.splitlines() if line.strip()]
    return campaign, groups, sessions


def proposal_body(n, group):
    return {"title": f"Mô hình tổ dân phố số {n}", "summary": "Nhóm Zalo của tổ dân phố để nhận thông báo.",
            "problem": "Thông báo của phường đến người dân chậm.", "model": "Mỗi hộ có một người tham gia kênh.",
            "beneficiaries": "450 hộ dân.", "households": 450, "resources": "Điện thoại sẵn có.",
            "cost_vnd": 15000000, "group_id": int(group), "tags": ["chuyển đổi số"], "submit": True}


def auth(session):
    return {"Cookie": f"sk_session={session[0]}", "X-CSRF-Token": session[1]}


class Load:
    """Workers that read (GET the call, GET /me) and write (submit proposals) until stopped."""

    def __init__(self, campaign, groups, sessions, readers=4, writers=4, write_pause=0.0):
        self.campaign, self.groups, self.sessions = campaign, groups, sessions
        self.readers, self.writers, self.write_pause = readers, writers, write_pause
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = []          # (proposal id, monotonic time of the ack, wall time of the ack, wall time sent)
        self.write_errors = []   # (monotonic time, what)
        self.read_ok = 0
        self.read_failures = []
        self.threads = []

    def _reader(self, k):
        c = Client(f"127.0.0.{10 + k}")
        s = self.sessions[k % len(self.sessions)]
        i = 0
        while not self.stop.is_set():
            path = f"/api/v1/campaigns/{self.campaign}" if i % 2 == 0 else "/api/v1/me"
            try:
                st, _ = c.request("GET", path, headers=auth(s))
                if st == 200:
                    with self.lock:
                        self.read_ok += 1
                else:
                    with self.lock:
                        self.read_failures.append(f"{path}: {st}")
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                with self.lock:
                    self.read_failures.append(f"{path}: {type(e).__name__} {e}")
            i += 1
        c.close()

    def _writer(self, k):
        c = Client(f"127.0.0.{30 + k}")
        n = 0
        while not self.stop.is_set():
            s = self.sessions[(k * 100003 + n) % len(self.sessions)]
            n += 1
            sent = time.time()
            try:
                st, payload = c.request("POST", f"/api/v1/campaigns/{self.campaign}/proposals",
                                        proposal_body(k * 1000000 + n, self.groups[n % len(self.groups)]), auth(s))
                if st == 201:
                    pid = json.loads(payload)["proposal"]["id"]
                    with self.lock:
                        self.acked.append((pid, time.monotonic(), time.time(), sent))
                else:
                    with self.lock:
                        self.write_errors.append((time.monotonic(), f"{st} {payload[:120]!r}"))
            except Exception as e:  # noqa: BLE001
                with self.lock:
                    self.write_errors.append((time.monotonic(), f"{type(e).__name__} {e}"))
                c.close()
                c = Client(f"127.0.0.{30 + k}")
                time.sleep(0.05)
            if self.write_pause:
                time.sleep(self.write_pause)
        c.close()

    def start(self):
        for k in range(self.readers):
            self.threads.append(threading.Thread(target=self._reader, args=(k,), daemon=True))
        for k in range(self.writers):
            self.threads.append(threading.Thread(target=self._writer, args=(k,), daemon=True))
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def missing(url, ids):
    if not ids:
        return []
    present = psql(url, "SELECT string_agg(id::text, ',') FROM proposals WHERE id = ANY('{%s}'::bigint[])"
                   % ",".join(str(i) for i in ids))
    have = set(int(x) for x in present.split(",")) if present else set()
    return [i for i in ids if i not in have]


def cluster(*args, check=True):
    return subprocess.run([os.path.join(ROOT, "scripts", "cluster"), *args], capture_output=True, text=True,
                          timeout=300, check=check)


def wait_health(url, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection(url.split("//")[1].split(":")[0], int(url.rsplit(":", 1)[1]), timeout=2)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------- scenarios
def kill_server():
    """Kill one server process (SIGKILL) under reads and writes: no failed idempotent request,
    every acknowledged write present."""
    campaign, groups, sessions = seed(200)
    load = Load(campaign, groups, sessions).start()
    time.sleep(3)
    pid = int(open(os.path.join(STATE, "s1.pid")).read())
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    time.sleep(5)
    load.finish()
    lost = missing(ENV["CLUSTER_WRITE_URL"], [a[0] for a in load.acked])
    after = sum(1 for a in load.acked if a[1] > killed)
    cluster("up")   # start s1 again for the next scenarios
    msg = (f"{load.read_ok} reads, {len(load.read_failures)} failed; {len(load.acked)} acknowledged writes "
           f"({after} after the kill), {len(lost)} missing; {len(load.write_errors)} writes refused "
           f"(not acknowledged, allowed)")
    if load.read_failures or lost or after == 0:
        return False, msg + f"; first read failures: {load.read_failures[:3]}; missing: {lost[:5]}"
    return True, msg


def read_your_writes():
    """A resident who has just submitted sees the proposal at once (its tracking page, a
    public read, and /me/proposals), though the standby replays 3 s late."""
    campaign, groups, sessions = seed(5)
    node2 = ENV["CLUSTER_NODE2_URL"].replace("/sangkien?", "/postgres?")
    psql(node2, "ALTER SYSTEM SET recovery_min_apply_delay = '3s'")
    psql(node2, "SELECT pg_reload_conf()")
    try:
        time.sleep(0.5)
        c = Client("127.0.0.5")
        st, payload = c.request("POST", f"/api/v1/campaigns/{campaign}/proposals", proposal_body(1, groups[0]),
                                auth(sessions[0]))
        if st != 201:
            return False, f"submission answered {st}: {payload[:200]!r}"
        p = json.loads(payload)["proposal"]
        code = p.get("tracking_code")
        # The resident's browser sends its session cookie with every request, public ones too.
        st_track, _ = c.request("GET", f"/api/v1/track/{code}", headers={"Cookie": f"sk_session={sessions[0][0]}"})
        st_mine, body_mine = c.request("GET", "/api/v1/me/proposals", headers=auth(sessions[0]))
        # A stranger (no cookie) reads the public pool, which may lag: reported, not required.
        st_anon, _ = Client("127.0.0.6").request("GET", f"/api/v1/track/{code}")
        on_standby = psql(ENV["CLUSTER_NODE2_URL"], f"SELECT count(*) FROM proposals WHERE id = {p['id']}")
        ok = st_track == 200 and st_mine == 200 and str(p["id"]) in body_mine.decode()
        msg = (f"tracking page {st_track}, /me/proposals {st_mine} (lists it: {str(p['id']) in body_mine.decode()}); "
               f"an anonymous reader of the tracking page got {st_anon}; "
               f"the standby had {on_standby} copy of it at that moment (replay delayed 3 s)")
        if on_standby != "0":
            msg += "; WARNING: the standby was not behind, the test proved less than it should"
        return ok, msg
    finally:
        psql(node2, "ALTER SYSTEM RESET recovery_min_apply_delay")
        psql(node2, "SELECT pg_reload_conf()")


def trickle():
    """1,100 connections from 20 loopback addresses send their headers a byte a second
    (slowloris) through TLS; a normal client is still served, quickly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    conns, refused = [], 0
    t0 = time.monotonic()
    for i in range(1100):
        src = f"127.0.1.{1 + i % 20}"
        try:
            raw = socket.create_connection((HOST, PORT), timeout=5, source_address=(src, 0))
            s = CTX.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
            s.setblocking(False)
            conns.append(s)
        except OSError:
            refused += 1
    opened = time.monotonic() - t0
    lat, failures = [], []
    c = Client("127.0.0.2", timeout=5)
    end = time.monotonic() + 6
    k = 0
    while time.monotonic() < end:
        for s in conns:
            try:
                s.send(b"X")
            except (OSError, ssl.SSLError):
                pass
        t = time.monotonic()
        try:
            st, _ = c.request("GET", "/api/v1/health")
            if st != 200:
                failures.append(st)
        except Exception as e:  # noqa: BLE001
            failures.append(type(e).__name__)
        lat.append(time.monotonic() - t)
        k += 1
        time.sleep(0.2)
    alive = 0
    for s in conns:
        try:
            s.send(b"-")
            alive += 1
        except (OSError, ssl.SSLError):
            pass
        s.close()
    c.close()
    lat.sort()
    msg = (f"{len(conns)} trickling connections opened in {opened:.1f} s ({refused} refused), {alive} still open "
           f"after 6 s; normal client: {k - len(failures)}/{k} served, max {lat[-1] * 1000:.0f} ms")
    return len(conns) >= 1100 and not failures and lat[-1] < 2.0, msg


def restore():
    """Back up under write load, restore to a point in time into a new cluster, start a
    server on it: every write acknowledged before that point is there."""
    campaign, groups, sessions = seed(100)
    load = Load(campaign, groups, sessions, readers=1, writers=3, write_pause=0.02).start()
    time.sleep(1)
    b = cluster("backup", "full", check=False)
    if b.returncode != 0:
        load.finish()
        return False, f"backup failed: {b.stderr[-500:]}"
    time.sleep(1.5)
    target_wall = time.time()
    target = datetime.datetime.fromtimestamp(target_wall, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    time.sleep(1.5)
    load.finish()
    psql(ENV["CLUSTER_WRITE_URL"].replace("/sangkien?", "/postgres?"), "SELECT pg_switch_wal()")
    before = [a[0] for a in load.acked if a[2] < target_wall - 0.01]
    after = [a[0] for a in load.acked if a[3] > target_wall + 0.01]   # sent after it
    r = subprocess.run(["bash", os.path.join(ROOT, "tests", "cluster", "restore_drill.sh"), target],
                       capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        return False, f"restore drill failed: {r.stdout[-800:]} {r.stderr[-800:]}"
    restored_url = r.stdout.strip().splitlines()[-1]
    try:
        lost = missing(restored_url, before)
        extra = len(after) - len(missing(restored_url, after))
    finally:
        subprocess.run(["bash", os.path.join(ROOT, "tests", "cluster", "restore_drill.sh"), "--stop"],
                       capture_output=True, text=True, timeout=120)
    msg = (f"{len(before)} writes acknowledged before {target}, {len(lost)} missing after the restore; "
           f"{extra} of the {len(after)} later writes present (should be 0)")
    return not lost and extra == 0 and before, msg


# ---------------------------------------------------------------- the proxy's own replies
# What the server puts on every reply (src/http/reply.c); the proxy's own replies carry the same.
SECURITY_HEADERS = ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options",
                    "cross-origin-opener-policy", "permissions-policy", "strict-transport-security"]


def raw_exchange(data, wait=15):
    """Sends raw bytes over one TLS connection to the proxy; returns (status, headers as a list of
    (lower-case name, value), body bytes) of the reply, or None when the proxy closed without one."""
    s = CTX.wrap_socket(socket.create_connection((HOST, PORT), timeout=wait), server_hostname="localhost")
    chunks = []
    try:
        try:
            s.sendall(data)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            pass   # the proxy may answer and close before it has read everything
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError, ssl.SSLError):
                break
            if not b:
                break
            chunks.append(b)
            raw = b"".join(chunks)
            if b"\r\n\r\n" in raw:
                head, _, body = raw.partition(b"\r\n\r\n")
                m = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if m and len(body) >= int(m[0].split(b":")[1]):
                    break
    finally:
        s.close()
    raw = b"".join(chunks)
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:])]
    return int(lines[0].split()[1]), headers, body


def admin(cmd):
    """One command on HAProxy's admin socket."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(STATE, "haproxy.sock"))
    s.sendall((cmd + "\n").encode())
    out = s.recv(4096)
    s.close()
    return out.decode()


def proxy_errors():
    """HAProxy's own replies (413 oversized body, 503 no server) are in the
    JSON error shape with a stable code and carry the server's security headers, once each; a
    server's reply through the proxy carries them once too."""
    problems, seen = [], []

    def check(what, reply, status, code):
        if reply is None:
            problems.append(f"{what}: no reply")
            return
        st, headers, body = reply
        names = [k for k, _ in headers]
        ctype = dict(headers).get("content-type", "")
        try:
            err = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            err = None
        if st != status:
            problems.append(f"{what}: status {st}, not {status}")
        if not ctype.startswith("application/json"):
            problems.append(f"{what}: content-type {ctype!r}")
        if not err or err.get("code") != code or not err.get("message"):
            problems.append(f"{what}: body {body[:120]!r}, not the error shape with code {code}")
        for h in SECURITY_HEADERS:
            if names.count(h) != 1:
                problems.append(f"{what}: header {h} {names.count(h)} times")
        seen.append(f"{what} {st} {err.get('code') if err else '?'}")

    big = (f"POST /api/v1/campaigns/1/proposals HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           f"Content-Length: {64 * 1024 * 1024}\r\n\r\n").encode() + b"{" * (64 * 1024)
    # (more than HAProxy's 16 KiB buffer: http-buffer-request decides once it is full)
    check("oversized body", raw_exchange(big), 413, "payload_too_large")
    # Headers too slow: HAProxy 2.6 answers 408 from its HTTP/1 layer before any rule or
    # errorfile applies (docs/api.md, "Known issues"): only the status and the close are checked.
    slow = raw_exchange(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1", wait=20)
    if slow is None or slow[0] != 408:
        problems.append(f"headers too slow: {slow and slow[0]}, not 408")
    else:
        seen.append("headers too slow 408 (HTML, HAProxy 2.6)")
    for i in range(1, int(ENV["CLUSTER_SERVERS"]) + 1):
        admin(f"disable server sangkien/s{i}")
    try:
        check("no server", raw_exchange(b"GET /api/v1/version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
              503, "service_unavailable")
    finally:
        for i in range(1, int(ENV["CLUSTER_SERVERS"]) + 1):
            admin(f"enable server sangkien/s{i}")
    time.sleep(1)
    # A server's own error through the proxy: its headers once each, not doubled by the proxy.
    check("server's 404", raw_exchange(b"GET /api/v1/no-such-thing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
          404, "not_found")
    return not problems, "; ".join(seen) + ("; problems: " + "; ".join(problems[:8]) if problems else "")


def failover():
    """Kill the primary (immediate stop) under a write load and promote the standby: writes
    resume within a bound, no acknowledged write lost."""
    campaign, groups, sessions = seed(200)
    load = Load(campaign, groups, sessions, readers=2, writers=4).start()
    time.sleep(3)
    node1 = os.path.join(STATE, "node1")
    subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", node1,
                    "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60, cwd="/")
    killed = time.monotonic()
    acked_at_kill = len(load.acked)
    time.sleep(1)   # an operator's reaction time, much shortened
    p = cluster("promote", check=False)
    promoted = time.monotonic()
    resumed = None
    end = time.monotonic() + 30
    while time.monotonic() < end and resumed is None:
        with load.lock:
            later = [a[1] for a in load.acked if a[1] > promoted]
        if later:
            resumed = min(later)
        time.sleep(0.1)
    time.sleep(2)
    load.finish()
    lost = missing(ENV["CLUSTER_NODE2_URL"], [a[0] for a in load.acked])
    bound = 10.0
    if resumed is None:
        return False, f"writes did not resume within 30 s of the promotion ({p.stderr.strip()[-300:]})"
    msg = (f"{acked_at_kill} writes acknowledged before the kill, {len(load.acked)} in all, {len(lost)} missing "
           f"on the promoted standby; writes resumed {resumed - promoted:.2f} s after the promotion "
           f"({resumed - killed:.2f} s after the kill, 1 s of it the simulated operator; bound {bound:.0f} s); "
           f"{len(load.write_errors)} writes refused meanwhile; reads ok {load.read_ok}, failed "
           f"{len(load.read_failures)} (allowed while no primary)")
    return not lost and resumed - promoted < bound, msg


SCENARIOS = [kill_server, read_your_writes, trickle, restore, proxy_errors, failover]


def main():
    names = sys.argv[1:] or [s.__name__ for s in SCENARIOS]
    passed = failed = 0
    for fn in SCENARIOS:
        if fn.__name__ not in names:
            continue
        t = time.monotonic()
        try:
            ok, msg = fn()
        except Exception as e:  # noqa: BLE001
            ok, msg = False, f"{type(e).__name__}: {e}"
        print(f"{'ok' if ok else 'FAIL'} {fn.__name__} ({time.monotonic() - t:.1f} s): {msg}", flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"cluster: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
