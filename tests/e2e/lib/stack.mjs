// stack.mjs - start the real jokes stack (fake joke API, jokes-pushd, jokes-fcgi, nginx or
// lighttpd in one of its three modes) in a temporary directory on free ports, for the
// end-to-end tests; plus the headless Chromium launcher and the "ok - / not ok -" reporter.
//
// Every process is started here and stopped by its PID (stop(), and on process exit).
// The web server configs come from tools/proxy-conf.sh, i.e. from the shipped templates.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.resolve(ROOT, process.env.JOKES_BUILD || 'build');
const live = new Set(); // child processes still running, killed on exit whatever happens

process.on('exit', () => {
	for (const child of live) {
		try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
	}
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

async function waitFor(what, probe, ms = 10000) {
	const end = Date.now() + ms;
	for (;;) {
		try {
			if (await probe()) return;
		} catch { /* not yet */ }
		if (Date.now() > end) throw new Error(`${what} did not come up within ${ms} ms`);
		await sleep(50);
	}
}

function connectable(sock) {
	return new Promise((resolve) => {
		const c = net.connect(sock);
		c.on('connect', () => { c.destroy(); resolve(true); });
		c.on('error', () => resolve(false));
	});
}

/** The "ok - " / "not ok - " reporter; done() sets the exit code. */
export function reporter() {
	let failed = 0;
	const r = {
		check(cond, name, detail) {
			if (cond) console.log(`ok - ${name}`);
			else {
				failed++;
				console.log(`not ok - ${name}${detail !== undefined ? ` (${detail})` : ''}`);
			}
			return !!cond;
		},
		get failed() { return failed; },
		done() { process.exitCode = failed ? 1 : 0; },
	};
	return r;
}

/**
 * One stack. proxy: 'nginx' | 'lighttpd-socket' | 'lighttpd-spawn' | 'lighttpd-cgi'.
 * conf: extra jokes.conf keys. Layout of dir: jokes.conf, state/, sock/, logs/, web/.
 */
export class Stack {
	constructor(proxy = 'nginx', conf = {}, seed = ['Stored joke one', 'Stored joke two', 'Stored joke three']) {
		this.proxy = proxy;
		this.extraConf = conf;
		this.seed = seed;
		this.procs = {};
		this.stored = 0; // jokes this stack has stored (each fetch that exited 0)
	}

	async start() {
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jokes-e2e-'));
		for (const d of ['state', 'sock', 'logs', 'web/tmp', 'web/logs']) {
			fs.mkdirSync(path.join(this.dir, d), { recursive: true });
		}
		this.conf = path.join(this.dir, 'jokes.conf');
		this.sock = {
			notify: path.join(this.dir, 'sock/notify.sock'),
			ws: path.join(this.dir, 'sock/ws.sock'),
			fcgi: path.join(this.dir, 'sock/fcgi.sock'),
		};
		await this.startApi();
		const keys = {
			state_dir: path.join(this.dir, 'state'),
			notify_socket: this.sock.notify,
			pushd_listen: `unix:${this.sock.ws}`,
			pushd_metrics_listen: '',
			pushd_workers: '1',
			fetch_sources: 'chucknorris',
			fetch_chucknorris_url: `${this.api}/chucknorris/jokes/random`,
			fetch_retries: '0',
			log_level: 'debug',
			...this.extraConf,
		};
		fs.writeFileSync(this.conf, Object.entries(keys).map(([k, v]) => `${k} = ${v}\n`).join(''));
		// The database first: the readers open it read-only.
		for (const text of this.seed) {
			await this.apiText(text);
			const r = this.fetchJoke();
			if (r.status !== 0) throw new Error(`seeding jokes-fetch exited ${r.status}: ${r.stderr}`);
		}
		await this.startPushd();
		await this.startWeb();
		return this;
	}

	log(name) { return fs.openSync(path.join(this.dir, 'logs', `${name}.log`), 'a'); }

	run(name, cmd, args, env = {}) {
		const fd = this.log(name);
		const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
		fs.closeSync(fd);
		child.exited = new Promise((resolve) => child.on('exit', (code, sig) => {
			live.delete(child);
			resolve(code ?? sig);
		}));
		live.add(child);
		this.procs[name] = child;
		return child;
	}

	async kill(name, ms = 5000) {
		const child = this.procs[name];
		if (!child || !live.has(child)) return;
		process.kill(child.pid, 'SIGTERM');
		const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, ms);
		await child.exited;
		clearTimeout(t);
	}

	async startApi() {
		const portFile = path.join(this.dir, 'api.port');
		this.run('fake_api', 'python3', [path.join(ROOT, 'tests/fake_api.py'), '--port-file', portFile]);
		await waitFor('fake_api.py', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim() !== '');
		this.api = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
	}

	/** Make the fake API answer with this exact joke text (new id each time). */
	async apiText(text, times = 1) {
		const res = await fetch(`${this.api}/_control`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ source: 'chucknorris', mode: 'text', text, times }),
		});
		if (!res.ok) throw new Error(`fake API control: HTTP ${res.status}`);
	}

	/** One run of jokes-fetch against this stack's config: {status, stderr}. */
	fetchJoke() {
		const r = spawnSync(path.join(BIN, 'jokes-fetch'), ['-c', this.conf], { encoding: 'utf8', timeout: 30000 });
		fs.appendFileSync(path.join(this.dir, 'logs/fetch.log'), r.stderr || '');
		if (r.status === 0) this.stored++;
		return { status: r.status, stderr: r.stderr || '' };
	}

	async startPushd() {
		this.run('pushd', path.join(BIN, 'jokes-pushd'), ['-c', this.conf]);
		await waitFor('jokes-pushd', () => connectable(this.sock.ws));
	}

	async stopPushd() { await this.kill('pushd'); }

	render(kind, extra = {}) {
		const web = path.join(this.dir, 'web');
		const vars = {
			PREFIX: web,
			STATIC_DIR: path.join(ROOT, 'static'),
			FCGI_SOCKET: this.sock.fcgi,
			WS_SOCKET: this.sock.ws,
			FCGI_BIN: path.join(BIN, 'jokes-fcgi'),
			CONFIG: this.conf,
			LISTEN: `127.0.0.1:${this.port}`,
			SERVER_NAME: 'localhost',
			BIND: '127.0.0.1',
			PORT: String(this.port),
			ACCESS_LOG: path.join(web, 'logs/access.log'),
			USER_LINE: process.getuid() === 0 ? 'user root;' : '',
			WORKERS: '1',
			FCGI_PROCS: '1',
			// many connections from loopback: the per-address limits are tested elsewhere
			LIMIT_EXEMPT: process.env.JOKES_LIMIT_EXEMPT ?? '127.0.0.0/8 1;',
			...extra,
		};
		const r = spawnSync(path.join(ROOT, 'tools/proxy-conf.sh'),
			[kind, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], { encoding: 'utf8' });
		if (r.status !== 0) throw new Error(`proxy-conf.sh ${kind}: ${r.stderr}`);
		return r.stdout;
	}

	async startWeb() {
		this.port = await freePort();
		this.url = `http://127.0.0.1:${this.port}`;
		const web = path.join(this.dir, 'web');
		if (this.proxy === 'nginx' || this.proxy === 'lighttpd-socket') {
			this.run('fcgi', 'spawn-fcgi', ['-n', '-s', this.sock.fcgi, '-M', '0660', '--',
				path.join(BIN, 'jokes-fcgi'), '-c', this.conf]);
			await waitFor('jokes-fcgi', () => connectable(this.sock.fcgi));
		}
		if (this.proxy === 'nginx') {
			fs.writeFileSync(path.join(web, 'jokes-site.conf'), this.render('nginx-site'));
			fs.writeFileSync(path.join(web, 'nginx.conf'), this.render('nginx-main'));
			this.run('nginx', 'nginx', ['-p', `${web}/`, '-c', path.join(web, 'nginx.conf'),
				'-e', path.join(web, 'logs/error.log')]);
		} else {
			const mode = this.proxy.replace(/^lighttpd-/, '');
			fs.writeFileSync(path.join(web, 'lighttpd.conf'), this.render('lighttpd-main', { MODE: mode }));
			this.run('lighttpd', 'lighttpd', ['-D', '-f', path.join(web, 'lighttpd.conf')]);
		}
		await waitFor(`${this.proxy} on ${this.port}`, async () => (await fetch(`${this.url}/jokes/`)).ok);
	}

	/** Newest jokes as the JSON API gives them (through the web server). */
	async apiJokes(query = 'limit=100') {
		const res = await fetch(`${this.url}/jokes/api/jokes?${query}`);
		if (!res.ok) throw new Error(`GET /jokes/api/jokes?${query}: HTTP ${res.status}`);
		return (await res.json()).jokes;
	}

	/** Stop everything by PID, newest first; the directory stays when KEEP is set or on failure. */
	async stop(keep = false) {
		for (const name of Object.keys(this.procs).reverse()) await this.kill(name);
		if (keep || process.env.KEEP) console.log(`# kept ${this.dir}`);
		else if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
	}

	/** The last lines of every log, for a failure report. */
	tail(lines = 15) {
		const dirs = [path.join(this.dir, 'logs'), path.join(this.dir, 'web/logs')];
		let out = '';
		for (const d of dirs) {
			for (const f of fs.existsSync(d) ? fs.readdirSync(d) : []) {
				const text = fs.readFileSync(path.join(d, f), 'utf8').trimEnd().split('\n').slice(-lines);
				out += `# --- ${f}\n${text.map((l) => `#   ${l}`).join('\n')}\n`;
			}
		}
		return out;
	}
}

/** Headless Debian chromium through playwright-core (no browser download); playwright
 * gives it a new empty profile directory of its own. */
export async function launchBrowser() {
	const { chromium } = await import('playwright-core');
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
	return browser;
}
