// sse.mjs - the page where the WebSocket cannot go: the site's /ws/ location answers 403 (a test
// variant of the shipped nginx site), so after three failed upgrades the page reads the feed
// as Server-Sent Events, says so, shows live jokes; a quick pushd restart is caught up by the
// browser's own reconnect (Last-Event-ID), a long one (502s: EventSource gives up) by the
// page's; once the WebSocket is allowed again a reload is live over it, nothing doubled.
import fs from 'node:fs';
import path from 'node:path';
import { Stack, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { pageIds, waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();
const stack = new Stack('nginx', {}, ['Stored joke one', 'Stored joke two', 'Stored joke three']);
let browser;

/** The nginx site with /ws/jokes/ answering 403 (blocked) or as shipped; reloads nginx. */
async function wsBlocked(blocked) {
	const site = path.join(stack.dir, 'web/jokes-site.conf');
	let text = stack.render('nginx-site');
	if (blocked) text = text.replace('location /ws/jokes/ {', 'location /ws/jokes/ {\n\t\treturn 403;');
	fs.writeFileSync(site, text);
	process.kill(stack.procs.nginx.pid, 'SIGHUP');
	const want = blocked ? 403 : 400; // a plain GET on the upgrade path: pushd's 400 or 404
	for (let i = 0; i < 100; i++) {
		const code = await fetch(`${stack.url}/ws/jokes/`).then((r) => r.status, () => 0);
		if (code && (code === 403) === blocked) return code;
		await sleep(50);
	}
	return want;
}

async function storeJoke(text) {
	await stack.apiText(text);
	const r = stack.fetchJoke();
	if (r.status !== 0) throw new Error(`jokes-fetch exited ${r.status}`);
}

const statusText = (page) => page.$eval('#status', (e) => e.textContent);

async function waitStatus(page, re, ms = 20000) {
	try {
		await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent),
			re.source, { timeout: ms, polling: 100 });
		return true;
	} catch {
		return false;
	}
}

function unique(ids) { return new Set(ids).size === ids.length && ids.every((id, i) => i === 0 || ids[i - 1] > id); }

try {
	await stack.start();
	t.check(await wsBlocked(true) === 403, 'the site variant answers 403 on /ws/jokes/');
	browser = await launchBrowser();
	const page = await browser.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text()); });
	let upgrades = 0;
	page.on('websocket', () => upgrades++);
	const sse = []; // requests for the stream, with the Last-Event-ID they carried
	page.on('request', async (r) => {
		if (!r.url().includes('/sse/jokes/')) return;
		const rec = { url: r.url() };
		sse.push(rec);
		rec.last = (await r.allHeaders())['last-event-id'];
	});

	await page.goto(`${stack.url}/jokes/`);
	t.check(await waitStatus(page, /^live · Server-Sent Events$/), 'WebSocket refused: the page goes live over Server-Sent Events and says so',
		await statusText(page));
	t.check(upgrades === 3, 'it tried the WebSocket three times first', upgrades);
	t.check(sse.length === 1 && new URL(sse[0].url).searchParams.get('since') === String(stack.stored),
		'the stream asks ?since= the newest joke shown', JSON.stringify(sse));

	await storeJoke('Live over SSE');
	const liveId = await waitForJoke(page, 'Live over SSE');
	t.check(liveId === stack.stored, 'a new joke shows live over SSE', liveId);

	// quick restart: the stream ends cleanly, the browser reconnects by itself after retry:
	// (3 s) with Last-Event-ID, and pushd replays what was stored meanwhile
	await stack.stopPushd();
	await storeJoke('Stored during a quick restart');
	await stack.startPushd();
	const quick = await waitForJoke(page, 'Stored during a quick restart', 15000);
	t.check(quick !== null, 'quick pushd restart: the joke stored meanwhile arrives');
	const re = sse.slice(1);
	t.check(re.length >= 1 && re[0].last === String(liveId), 'by the browser\'s own reconnect, with Last-Event-ID',
		JSON.stringify(re));

	// long outage: nginx answers 502, the EventSource gives up; the page makes a new one itself
	const n = sse.length;
	await stack.stopPushd();
	t.check(await waitStatus(page, /^reconnecting in \d+ s…$/, 15000), 'long outage: EventSource gave up (502), the page waits with backoff',
		await statusText(page));
	await storeJoke('Stored during a long outage');
	await stack.startPushd();
	const long = await waitForJoke(page, 'Stored during a long outage', 40000);
	t.check(long !== null, 'long outage: the page reconnects by itself and catches up');
	t.check(await waitStatus(page, /^live · Server-Sent Events$/, 5000), 'and is live over SSE again', await statusText(page));
	t.check(sse.slice(n).some((r) => new URL(r.url).searchParams.get('since') === String(quick)),
		'the page\'s new stream resumed ?since= the newest joke shown', JSON.stringify(sse.slice(n)));
	await sleep(500); // a duplicate would arrive now
	let ids = await pageIds(page);
	t.check(unique(ids) && ids.length === stack.stored, 'over SSE: every stored joke once, newest first',
		`${JSON.stringify(ids)}, ${stack.stored} stored`);

	// the WebSocket allowed again: a reload is live over it, nothing doubled
	await wsBlocked(false);
	const before = upgrades;
	await page.reload();
	t.check(await waitStatus(page, /^live · WebSocket$/, 10000), 'WebSocket allowed again: the reloaded page is live over it',
		await statusText(page));
	await storeJoke('Live over WebSocket again');
	t.check(await waitForJoke(page, 'Live over WebSocket again') === stack.stored, 'a new joke shows over the WebSocket');
	await sleep(500);
	ids = await pageIds(page);
	t.check(unique(ids) && ids.length === stack.stored && upgrades === before + 1,
		'after the reload nothing is doubled', `${JSON.stringify(ids)}, ${stack.stored} stored, ${upgrades - before} upgrades`);
	t.check(errors.length === 0, 'no script error and no CSP violation', errors.join(' | '));
} catch (e) {
	t.check(false, 'the SSE fallback test ran to its end', e.stack);
	console.log(stack.dir ? stack.tail() : '');
} finally {
	if (browser) await browser.close();
	await stack.stop(t.failed > 0);
	t.done();
}
