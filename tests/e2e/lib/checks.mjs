// checks.mjs - what a person sees on /jokes/, checked in headless Chromium against one
// running Stack: stored jokes, a new joke live without reload, hostile text shown literally,
// and a pushd restart caught up with no gap and no duplicate.
import http from 'node:http';
import path from 'node:path';
import { sleep } from './stack.mjs';

export const XSS = '<script>alert(1)</script> & "quotes" \'single\' <b>not bold</b> 🎉';

/** ids of the jokes on the page, top to bottom. */
export function pageIds(page) {
	return page.$$eval('#jokes article.joke', (els) => els.map((e) => Number(e.dataset.id)));
}

/** Wait until an article with exactly this text is on the page; its id, or null after ms. */
export async function waitForJoke(page, text, ms = 10000) {
	try {
		const h = await page.waitForFunction((t) => {
			for (const a of document.querySelectorAll('#jokes article.joke')) {
				const el = a.querySelector('.joke-text');
				if (el && el.textContent === t) return a.dataset.id;
			}
			return null;
		}, text, { timeout: ms, polling: 100 });
		return Number(await h.jsonValue());
	} catch {
		return null;
	}
}

export async function waitState(page, state, ms = 10000) {
	try {
		await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: ms, state: 'attached' });
		return true;
	} catch {
		return false;
	}
}

function countText(page, text) {
	return page.$$eval('#jokes article.joke .joke-text', (els, t) => els.filter((e) => e.textContent === t).length, text);
}

/**
 * The checks every web server must pass. t: reporter; name: label in the check lines.
 * Leaves the page open on the stack and returns it.
 */
export async function pageChecks(t, stack, context, name) {
	const page = await context.newPage();
	const dialogs = [];
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));

	const res = await page.goto(`${stack.url}/jokes/`);
	t.check(res && res.status() === 200, `${name}: GET /jokes/ is 200`, res && res.status());
	t.check(await waitState(page, 'live'), `${name}: page connects its WebSocket (#status live)`);

	// Stored jokes, server-rendered, newest first.
	const texts = await page.$$eval('#jokes article.joke .joke-text', (els) => els.map((e) => e.textContent));
	const seeded = [...stack.seed].reverse();
	t.check(JSON.stringify(texts.slice(0, seeded.length)) === JSON.stringify(seeded),
		`${name}: the stored jokes are on the page, newest first`, JSON.stringify(texts));

	// A new joke arrives without a reload.
	await page.evaluate(() => { window.__sameDocument = 'yes'; });
	const liveText = `Live joke ${Date.now()} via ${name}`;
	await stack.apiText(liveText);
	const f = stack.fetchJoke();
	t.check(f.status === 0, `${name}: jokes-fetch stores a joke`, `exit ${f.status}: ${f.stderr.trim()}`);
	const liveId = await waitForJoke(page, liveText);
	t.check(liveId !== null, `${name}: the new joke appears without a reload`);
	t.check(await page.evaluate(() => window.__sameDocument === 'yes'), `${name}: the page was not reloaded`);
	const ids = await pageIds(page);
	t.check(ids[0] === liveId, `${name}: the new joke is on top`, JSON.stringify(ids));

	// Hostile text: pushed, then server-rendered, always literal.
	await stack.apiText(XSS);
	stack.fetchJoke();
	const stored = (await stack.apiJokes('limit=1'))[0];
	t.check(stored && stored.text === XSS, `${name}: the hostile text is stored as it came`, JSON.stringify(stored));
	const xssId = await waitForJoke(page, XSS);
	t.check(xssId !== null, `${name}: markup in a pushed joke shows as literal text`);
	const kids = await page.$$eval('#jokes article.joke .joke-text', (els, txt) =>
		els.filter((e) => e.textContent === txt).map((e) => e.children.length), XSS);
	t.check(kids.length === 1 && kids[0] === 0, `${name}: no element was made from the pushed text`, JSON.stringify(kids));
	await page.reload();
	await waitState(page, 'live');
	t.check(await countText(page, XSS) === 1, `${name}: markup in a server-rendered joke shows as literal text`);
	const scripts = await page.$$eval('#jokes script', (els) => els.length);
	t.check(scripts === 0 && dialogs.length === 0, `${name}: no script ran from a joke`, `${scripts} scripts, dialogs ${JSON.stringify(dialogs)}`);

	await routingChecks(t, stack, name, liveId, liveText);
	await restartChecks(t, stack, page, name);
	t.check(errors.length === 0, `${name}: no script errors on the page`, errors.join(' | '));
	return page;
}

/** Stop pushd, store two jokes, start it again: the page catches up, no gap, no duplicate. */
async function restartChecks(t, stack, page, name) {
	await page.evaluate(() => { window.__sameDocument = 'still'; });
	const before = await pageIds(page);
	await stack.stopPushd();
	t.check(await waitState(page, 'reconnecting', 5000) || await waitState(page, 'connecting', 100),
		`${name}: the page shows it lost pushd`);
	const missed = [`Missed while down A ${Date.now()}`, `Missed while down B ${Date.now()}`];
	for (const text of missed) {
		await stack.apiText(text);
		const r = stack.fetchJoke();
		t.check(r.status === 0, `${name}: jokes-fetch stores with pushd down (exit 0, a warning)`, `exit ${r.status}`);
	}
	await sleep(300);
	await stack.startPushd();
	const a = await waitForJoke(page, missed[0], 15000);
	const b = await waitForJoke(page, missed[1], 2000);
	t.check(a !== null && b !== null, `${name}: after the pushd restart the page catches up`);
	t.check(await waitState(page, 'live', 5000), `${name}: the page is live again`);
	await sleep(500); // a duplicate would arrive now
	const after = await pageIds(page);
	const unique = new Set(after).size === after.length;
	const descending = after.every((id, i) => i === 0 || after[i - 1] > id);
	const expect = [b, a, ...before];
	t.check(unique && descending && JSON.stringify(after) === JSON.stringify(expect),
		`${name}: no gap and no duplicate after the restart`, `page ${JSON.stringify(after)} want ${JSON.stringify(expect)}`);
	t.check(after.length === stack.stored || after.length === 20,
		`${name}: the page holds every stored joke`, `${after.length} on the page, ${stack.stored} stored`);
	t.check(await page.evaluate(() => window.__sameDocument === 'still'), `${name}: the page was not reloaded to catch up`);
}

/** What the web server config routes where: SCRIPT_NAME=/jokes and PATH_INFO reach jokes-fcgi. */
async function routingChecks(t, stack, name, id, text) {
	const one = await fetch(`${stack.url}/jokes/api/jokes/${id}`);
	const body = one.ok ? await one.json() : null;
	t.check(body && body.id === id && body.text === text, `${name}: /jokes/api/jokes/ID reaches jokes-fcgi with its PATH_INFO`,
		`${one.status} ${JSON.stringify(body)}`);
	const perma = await fetch(`${stack.url}/jokes/${id}`);
	t.check(perma.status === 200 && (await perma.text()).includes(`data-id="${id}"`), `${name}: the permalink /jokes/ID`, perma.status);
	const bare = await fetch(`${stack.url}/jokes`, { redirect: 'manual' });
	t.check([301, 302, 308].includes(bare.status) && /\/jokes\/$/.test(bare.headers.get('location') || ''),
		`${name}: /jokes redirects to /jokes/`, `${bare.status} ${bare.headers.get('location')}`);
	const other = await fetch(`${stack.url}/jokesfoo`);
	t.check(other.status === 404, `${name}: /jokesfoo is not the program's`, other.status);
	// The proxy passes Host with its port and Origin untouched: pushd's same-origin check.
	const own = await upgrade(stack.url, stack.url);
	const foreign = await upgrade(stack.url, 'http://evil.example');
	t.check(own === 101 && foreign !== 101, `${name}: WebSocket upgrade from the page's origin only`,
		`own origin ${own}, foreign origin ${foreign}`);
	const missing = await fetch(`${stack.url}/jokes/static/no-such-file.css`);
	t.check(missing.status === 404, `${name}: a missing asset is a 404 from the web server`, missing.status);
}

/** Status of a WebSocket upgrade to /ws/jokes/ with this Origin (101 when accepted). */
function upgrade(base, origin) {
	return new Promise((resolve) => {
		const u = new URL(`${base}/ws/jokes/`);
		const req = http.request({
			host: u.hostname, port: u.port, path: u.pathname, timeout: 5000,
			headers: {
				Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
				'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin,
			},
		});
		req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
		req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
		req.on('timeout', () => { req.destroy(); resolve('timeout'); });
		req.on('error', (e) => resolve(String(e.code || e)));
		req.end();
	});
}

/** Light and dark screenshots of the page as NAME-light.png / NAME-dark.png in $SHOTS (/tmp). */
export async function screenshots(page, name) {
	const shots = process.env.SHOTS || '/tmp';
	for (const scheme of ['light', 'dark']) {
		await page.emulateMedia({ colorScheme: scheme });
		const file = path.join(shots, `${name}-${scheme}.png`);
		await page.screenshot({ path: file });
		console.log(`# screenshot ${file}`);
	}
}
