// idle.mjs - a tab left alone for longer than the proxies' 60 s read timeout stays connected
// (pushd's pings, answered by the browser), under nginx and lighttpd at once in one 70 s
// wait; the joke stored afterwards arrives on the same WebSocket.
import { Stack, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();
const IDLE_MS = Number(process.env.JOKES_IDLE_MS || 70000);
// JOKES_IDLE_PING_SECS=120 shows the check failing: without pings both proxies cut the tab.
const conf = process.env.JOKES_IDLE_PING_SECS ? { pushd_ping_secs: process.env.JOKES_IDLE_PING_SECS } : {};
const stacks = [new Stack('nginx', conf), new Stack('lighttpd-socket', conf)];
let browser;
try {
	await Promise.all(stacks.map((s) => s.start()));
	browser = await launchBrowser();
	const context = await browser.newContext();
	const tabs = [];
	for (const s of stacks) {
		const page = await context.newPage();
		const sockets = [];
		page.on('websocket', (ws) => sockets.push(ws));
		await page.goto(`${s.url}/jokes/`);
		t.check(await waitState(page, 'live'), `${s.proxy}: page live before the idle wait`);
		tabs.push({ s, page, sockets });
	}
	console.log(`# idle for ${IDLE_MS / 1000} s`);
	await sleep(IDLE_MS);
	for (const { s, page, sockets } of tabs) {
		t.check(sockets.length === 1 && !sockets[0].isClosed(),
			`${s.proxy}: the WebSocket is still open after ${IDLE_MS / 1000} s idle`,
			`${sockets.length} sockets opened, first closed: ${sockets[0] && sockets[0].isClosed()}`);
		const frames = [];
		if (sockets[0]) sockets[0].on('framereceived', (f) => frames.push(String(f.payload)));
		const text = `After the idle wait ${Date.now()} ${s.proxy}`;
		await s.apiText(text);
		s.fetchJoke();
		t.check(await waitForJoke(page, text) !== null, `${s.proxy}: a joke after the idle wait appears live`);
		t.check(sockets.length === 1 && frames.some((f) => f.includes('After the idle wait')),
			`${s.proxy}: it came over the same WebSocket`, `${sockets.length} sockets`);
	}
} catch (e) {
	t.check(false, 'idle: the stacks run', e && e.stack);
	for (const s of stacks) if (s.dir) console.log(s.tail());
} finally {
	if (browser) await browser.close();
	for (const s of stacks) await s.stop(t.failed > 0);
	t.done();
}
