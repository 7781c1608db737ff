// scale_out.mjs - the page on the origin, its live feed from a push node on another host fed by
// Redis, in headless Chromium. The origin (nginx + jokes-fcgi, jokes-fetch writing to SQLite
// and a real redis-server) is http://127.0.0.1:PORT; the node is jokes-pushd with
// pushd_source = redis on 127.0.0.2 (another host name on loopback), with no database,
// allowing the origin's Origin. fcgi_ws_url names the node by an absolute URL, so the page
// connects there and its CSP allows it. The origin's own jokes-pushd is stopped first: a
// joke that reaches the page can only have come through Redis and the node.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, Stack, freePort, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();
const BIN = path.resolve(ROOT, process.env.JOKES_BUILD || 'build');
const NODE_HOST = '127.0.0.2';
const procs = [];
process.on('exit', () => {
	for (const p of procs) {
		try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
	}
});

async function until(what, probe, ms = 10000) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		try {
			if (await probe()) return true;
		} catch { /* not yet */ }
		await sleep(100);
	}
	throw new Error(`${what}: not within ${ms} ms`);
}

const rport = await freePort();
const nodePort = await freePort();
const metricsPort = await freePort();
const tmp = fs.mkdtempSync('/tmp/jokes-e2e-redis-');
const redis = spawn('redis-server', ['--port', String(rport), '--bind', '127.0.0.1', '--dir', tmp,
	'--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
procs.push(redis);
const stack = new Stack('nginx', {
	redis_url: `redis://127.0.0.1:${rport}`,
	fcgi_ws_url: `ws://${NODE_HOST}:${nodePort}/ws/jokes/`,
});
let browser;
let node;
try {
	await until('redis-server', () => spawnSync('redis-cli', ['-p', String(rport), 'PING'],
		{ encoding: 'utf8' }).stdout.trim() === 'PONG');
	await stack.start();
	await stack.stopPushd();
	const nodeConf = path.join(tmp, 'node.conf');
	fs.writeFileSync(nodeConf, [
		'pushd_source = redis',
		`redis_url = redis://127.0.0.1:${rport}`,
		`db_path = ${tmp}/no-database/jokes.db`,
		`notify_socket = ${tmp}/no-notify.sock`,
		`pushd_listen = ${NODE_HOST}:${nodePort}`,
		`pushd_metrics_listen = 127.0.0.1:${metricsPort}`,
		`pushd_allowed_origins = ${stack.url}`,
		'pushd_workers = 1',
		'log_level = debug',
	].join('\n') + '\n');
	const log = fs.openSync(path.join(tmp, 'node.log'), 'a');
	node = spawn(path.join(BIN, 'jokes-pushd'), ['-c', nodeConf], { stdio: ['ignore', log, log] });
	procs.push(node);
	const metric = async (name) => {
		const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
		const line = text.split('\n').find((l) => l.startsWith(`jokes_pushd_${name} `));
		return line ? Number(line.split(' ')[1]) : NaN;
	};
	await until('the node warmed from the stream', async () => (await metric('redis_last_id')) === stack.stored);

	browser = await launchBrowser();
	const page = await (await browser.newContext()).newPage();
	const sockets = [];
	page.on('websocket', (ws) => sockets.push(ws.url()));
	const res = await page.goto(`${stack.url}/jokes/`);
	const csp = (await res.allHeaders())['content-security-policy'] || '';
	t.check(csp.includes(`ws://${NODE_HOST}:${nodePort}`),
		'the origin\'s CSP allows the node\'s WebSocket (connect-src)', csp);
	t.check(await waitState(page, 'live'), 'the page goes live');
	t.check(sockets.length >= 1 && sockets.every((u) => u.startsWith(`ws://${NODE_HOST}:${nodePort}/ws/jokes/`)),
		`the page's WebSocket goes to the node on ${NODE_HOST}, not to the origin`, JSON.stringify(sockets));
	t.check(await metric('clients') === 1, 'the node holds the page as its one client');

	const text = 'Delivered through Redis to a node on another host';
	await stack.apiText(text);
	const r = stack.fetchJoke();
	t.check(r.status === 0, 'jokes-fetch stores the joke and adds it to the stream', r.stderr);
	const id = await waitForJoke(page, text, 10000);
	t.check(id === stack.stored, `the page shows the new joke live, id ${id}, without a reload`);
	t.check(await metric('redis_last_id') === stack.stored, 'the node took it from the stream');
	const shown = await page.$$eval('#jokes article.joke', (els) => els.map((e) => Number(e.dataset.id)));
	t.check(shown.filter((x) => x === id).length === 1, 'the joke is on the page once', JSON.stringify(shown));
	t.check(!fs.existsSync(path.join(tmp, 'no-notify.sock')), 'the node made no notify socket');
} catch (e) {
	t.check(false, 'scale-out: the origin, Redis and a node on another host run', e && e.stack);
	console.log(stack.dir ? stack.tail() : '');
	const nl = path.join(tmp, 'node.log');
	if (fs.existsSync(nl)) console.log(fs.readFileSync(nl, 'utf8').split('\n').slice(-15).map((l) => `#   ${l}`).join('\n'));
} finally {
	if (browser) await browser.close();
	await stack.stop(t.failed > 0);
	for (const p of [node, redis]) {
		if (p && p.exitCode === null) {
			p.kill('SIGTERM');
			await new Promise((done) => { p.on('exit', done); setTimeout(done, 3000); });
		}
	}
	fs.rmSync(tmp, { recursive: true, force: true });
	t.done();
}
