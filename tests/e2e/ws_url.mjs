// ws_url.mjs - the page from one host name, its WebSocket on another: fcgi_ws_url is an
// absolute ws:// URL (as for push nodes behind their own name). The page comes from nginx on
// 127.0.0.1, jokes-pushd listens on 127.0.0.2 and allows the page's origin; in Chromium the
// CSP lets the page connect there (and nowhere else), it goes live and a new joke appears.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, Stack, freePort, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { waitForJoke, waitState } from './lib/checks.mjs';

const BIN = path.resolve(ROOT, process.env.JOKES_BUILD || 'build');
const t = reporter();

/** pushd is started by the test, on TCP, once the page's origin is known. */
class TwoHosts extends Stack {
	async startPushd() {}
}

async function listening(host, port, ms = 10000) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		const ok = await new Promise((resolve) => {
			const c = net.connect(port, host);
			c.on('connect', () => { c.destroy(); resolve(true); });
			c.on('error', () => resolve(false));
		});
		if (ok) return true;
		await sleep(50);
	}
	return false;
}

const wsPort = await freePort();
const wsUrl = `ws://127.0.0.2:${wsPort}/ws/jokes/`;
const s = new TwoHosts('nginx', { pushd_listen: `127.0.0.2:${wsPort}`, fcgi_ws_url: wsUrl });
let browser;
try {
	await s.start();
	fs.appendFileSync(s.conf, `pushd_allowed_origins = ${s.url}\n`);
	s.run('pushd', path.join(BIN, 'jokes-pushd'), ['-c', s.conf]);
	t.check(await listening('127.0.0.2', wsPort), `jokes-pushd listens on 127.0.0.2:${wsPort}`);

	browser = await launchBrowser();
	const page = await browser.newPage();
	const sockets = [], violations = [];
	page.on('websocket', (ws) => sockets.push(ws.url()));
	page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
	const res = await page.goto(`${s.url}/jokes/`);
	const csp = res.headers()['content-security-policy'] || '';
	t.check(csp.includes(`connect-src 'self' ws://127.0.0.2:${wsPort};`),
		'the CSP names the WebSocket host', csp);
	t.check(await waitState(page, 'live'), 'the page from 127.0.0.1 goes live on 127.0.0.2',
		`sockets ${JSON.stringify(sockets)}, CSP: ${violations.join(' | ')}`);
	t.check(sockets.length > 0 && sockets[0].startsWith(wsUrl),
		'it connected to fcgi_ws_url', JSON.stringify(sockets));
	const text = `A joke over the other host ${Date.now()}`;
	await s.apiText(text);
	s.fetchJoke();
	t.check(await waitForJoke(page, text) !== null, 'a new joke appears live');
	t.check(violations.length === 0, 'no CSP violation', violations.join(' | '));
} catch (e) {
	t.check(false, 'ws_url: the stack runs', e && e.stack);
	if (s.dir) console.log(s.tail());
} finally {
	if (browser) await browser.close();
	await s.stop(t.failed > 0);
	t.done();
}
