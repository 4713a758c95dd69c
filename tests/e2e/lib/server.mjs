// Starts a real sangkien server on a fresh PostgreSQL database for one test file.
//
//   const srv = await startServer();   // srv.baseURL, srv.ward, srv.group, srv.psql(sql)
//   ...
//   const exit = await srv.stop();     // SIGTERM; { code, signal, log }
//
// Environment:
//   SANGKIEN_TEST_DATABASE_URL  libpq URI or conninfo of an existing database on a
//                               running cluster (e.g. .../sangkien_test). A database
//                               sangkien_e2e_<pid>_<n> is created next to it (same
//                               host and user) and dropped afterwards. When unset, a
//                               scratch cluster is made with initdb in a temporary
//                               directory and removed afterwards.
//   SANGKIEN_BIN                server binary (default build-test/sangkien), run with
//                               cwd = repository root.
//   SANGKIEN_E2E_BASE_URL       use an already running server instead (no database is
//                               made; it must have a ward with a residential group).
//   SANGKIEN_E2E_VERBOSE=1      copy the server's log lines to stderr as they come.
//
// The server's log goes to $TMPDIR/sangkien-e2e-server-<pid>.log, removed after
// a clean exit (status 0) and kept otherwise.

import { spawn, execFile } from 'node:child_process';
import { existsSync, readdirSync, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const SEED = Object.freeze({
  wardCode: 'E2E',
  wardName: 'Phường Hòa Cường Thử Nghiệm',
  groupName: 'Tổ dân phố 5',
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${cmd} ${args.join(' ')} failed: ${stderr || err.message}`;
        reject(err);
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Runs one SQL command with psql against conn (URI or conninfo); resolves to its unaligned output. */
export async function psql(conn, sql) {
  const out = await run('psql', [conn, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    env: { ...process.env, PGCLIENTENCODING: 'UTF8', PGCONNECT_TIMEOUT: '10' },
  });
  return out.trim();
}

/** conn with its database name replaced by dbname (URI or key=value conninfo). */
export function withDatabase(conn, dbname) {
  if (/^postgres(?:ql)?:\/\//i.test(conn)) {
    // Not new URL(): a URI without a host ("postgresql://postgres@/db?host=/tmp/pg",
    // a Unix socket) is valid for libpq but not for WHATWG URL parsing.
    const m = /^(postgres(?:ql)?:\/\/[^/?#]*)(?:\/[^?#]*)?(\?[^#]*)?$/i.exec(conn);
    if (!m) throw new Error(`cannot parse the database URI ${conn}`);
    const query = (m[2] || '').slice(1).split('&').filter((kv) => kv !== '' && !/^dbname=/i.test(kv));
    return `${m[1]}/${encodeURIComponent(dbname)}${query.length ? `?${query.join('&')}` : ''}`;
  }
  const rest = conn.replace(/(^|\s)dbname\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S+)/g, ' ').trim();
  return `${rest} dbname=${dbname}`.trim();
}

const quoteIdent = (s) => `"${s.replace(/"/g, '""')}"`;
const quoteLit = (s) => `'${String(s).replace(/'/g, "''")}'`;

function findPgBin(name) {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a);
    for (const v of versions) {
      const p = path.join(root, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  return name; // hope it is on PATH
}

/** A throwaway cluster in a temporary directory, reachable over a Unix socket only. */
async function startScratchCluster() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sangkien-e2e-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const as = (cmd, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  if (asRoot) {
    await chmod(dir, 0o755);
    await run('chown', ['postgres:postgres', dir]);
  }
  await as(findPgBin('initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync']);
  await as(findPgBin('pg_ctl'), [
    '-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60',
    '-o', `-k ${dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off`, 'start',
  ]);
  return {
    conn: `host=${dir} user=postgres dbname=postgres`,
    async stop() {
      await as(findPgBin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Creates a fresh UTF-8 database next to baseConn; returns { conn, drop() }. */
async function createDatabase(baseConn) {
  const name = `sangkien_e2e_${process.pid}_${counter++}`;
  const enc = await psql(baseConn, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'template1'");
  const tmpl = enc === 'UTF8' ? '' : " TEMPLATE template0 ENCODING 'UTF8'";
  await psql(baseConn, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  await psql(baseConn, `CREATE DATABASE ${quoteIdent(name)}${tmpl}`);
  return {
    name,
    conn: withDatabase(baseConn, name),
    drop: () => psql(baseConn, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  };
}

async function waitFor(what, fn, { timeout = 30000, interval = 50, alive } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    if (alive) alive();
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

/**
 * Starts the server (see the top of this file). opts.env adds environment
 * variables for the server; opts.seed = false skips the ward/group seed.
 */
export async function startServer(opts = {}) {
  const external = process.env.SANGKIEN_E2E_BASE_URL;
  if (external) {
    const baseURL = external.replace(/\/+$/, '');
    const res = await fetch(`${baseURL}/api/v1/wards`);
    const { wards } = await res.json();
    const ward = wards.find((w) => w.groups && w.groups.length > 0);
    if (!ward) throw new Error(`${baseURL} has no ward with a residential group`);
    return {
      baseURL,
      ward: { id: ward.id, code: ward.code, name: ward.name },
      group: ward.groups[0],
      logText: () => '',
      psql: () => Promise.reject(new Error('no database access with SANGKIEN_E2E_BASE_URL')),
      stop: async () => ({ code: 0, signal: null, log: '' }),
    };
  }

  const bin = path.resolve(repoRoot, process.env.SANGKIEN_BIN || 'build-test/sangkien');
  if (!existsSync(bin)) {
    throw new Error(`server binary ${bin} not found: build it (meson compile -C build-test) or set SANGKIEN_BIN`);
  }

  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch((e) => console.error(e.message));
  };

  try {
    let baseConn = process.env.SANGKIEN_TEST_DATABASE_URL;
    if (!baseConn) {
      const cluster = await startScratchCluster();
      cleanups.push(() => cluster.stop());
      baseConn = cluster.conn;
    }
    const db = await createDatabase(baseConn);
    cleanups.push(() => db.drop());

    const tmp = await mkdtemp(path.join(os.tmpdir(), 'sangkien-e2e-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const portFile = path.join(tmp, 'port');
    const logPath = path.join(os.tmpdir(), `sangkien-e2e-server-${process.pid}.log`);
    const logFile = createWriteStream(logPath);
    let log = '';
    const onOutput = (chunk) => {
      const s = chunk.toString('utf8');
      log += s;
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));
      logFile.write(s);
      if (process.env.SANGKIEN_E2E_VERBOSE === '1') process.stderr.write(s);
    };

    const child = spawn(bin, ['serve'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: db.conn,
        SANGKIEN_LISTEN: '127.0.0.1:0',
        SANGKIEN_PORT_FILE: portFile,
        ...(opts.env || {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    let exited = null;
    const exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        resolve(exited);
      });
      child.on('error', (err) => {
        exited = { code: -1, signal: null, error: err };
        resolve(exited);
      });
    });
    cleanups.push(async () => {
      if (!exited) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    });
    const alive = () => {
      if (exited) {
        throw new Error(`server exited early (${JSON.stringify(exited)}); log:\n${log.slice(-4000)}`);
      }
    };

    const readPort = async () => {
      const text = (await readFile(portFile, 'utf8').catch(() => '')).trim();
      return /^\d+$/.test(text) ? Number(text) : null;
    };
    const port = await waitFor('the port file', async () => {
      const first = await readPort();
      if (!first) return null;
      await sleep(20);
      return (await readPort()) === first ? first : null; // not half written
    }, { alive, timeout: 60000 });
    const baseURL = `http://127.0.0.1:${port}`;

    await waitFor('GET /api/v1/health == 200', async () => {
      const res = await fetch(`${baseURL}/api/v1/health`);
      await res.arrayBuffer();
      return res.status === 200;
    }, { alive, timeout: 60000, interval: 100 });

    let ward = null;
    let group = null;
    if (opts.seed !== false) {
      const wardId = await psql(db.conn,
        `INSERT INTO wards (code, name) VALUES (${quoteLit(SEED.wardCode)}, ${quoteLit(SEED.wardName)}) RETURNING id`);
      const groupId = await psql(db.conn,
        `INSERT INTO residential_groups (ward_id, name) VALUES (${wardId}, ${quoteLit(SEED.groupName)}) RETURNING id`);
      ward = { id: Number(wardId), code: SEED.wardCode, name: SEED.wardName };
      group = { id: Number(groupId), name: SEED.groupName };
    }

    let stopped = null;
    return {
      baseURL,
      ward,
      group,
      logPath,
      logText: () => log,
      conn: db.conn, // the database's connection string (for the command line: sangkien admin create)
      bin,
      psql: (sql) => psql(db.conn, sql),
      /** Stops the server with SIGTERM (SIGKILL after 15 s) and removes the database. */
      stop() {
        if (!stopped) {
          stopped = (async () => {
            let result = exited;
            if (!result) {
              child.kill('SIGTERM');
              const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
              result = await exitPromise;
              clearTimeout(timer);
            }
            await new Promise((r) => logFile.end(r));
            await cleanup();
            // The log file stays behind (for a look after a failure) unless all went well.
            if (result.code === 0) await rm(logPath, { force: true });
            return { ...result, log, logPath };
          })();
        }
        return stopped;
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
