// categories.mjs - the category filter in headless Chromium under nginx: the page's row of
// categories, a click on "programming" shows only programming jokes; live, a joke of another
// category never shows and one of programming does (over the WebSocket, after a gap filled
// from the JSON API, and over Server-Sent Events), each URL the script opens carrying
// &category=programming. Jokes are published as jokes-fetch would: a row in the database
// (tests/tools/jokes_insert, with its category), then the notify line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, Stack, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { pageIds, waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();
// a ring of 2: after a restart of pushd a page that was away for 4 jokes gets a gap notice
const stack = new Stack('nginx', { pushd_ring_size: '2' }, ['Stored joke one', 'Stored joke two']);
let browser;
let insert;

/** tests/tools/jokes_insert, built against this checkout's lib (as tests/fcgi_lib.sh does). */
function buildInsert() {
	const out = path.join(stack.dir, 'jokes_insert');
	const bin = path.join(ROOT, 'build'); /* a fixture tool: the plain build, even when the daemons are sanitized */
	const libs = spawnSync('pkg-config', ['--libs', 'sqlite3', 'jansson'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
	const r = spawnSync('cc', ['-std=c11', '-D_GNU_SOURCE', `-I${path.join(ROOT, 'lib')}`, '-O1', '-o', out,
		path.join(ROOT, 'tests/tools/jokes_insert.c'), path.join(bin, 'libjokes.a'), ...libs], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`jokes_insert does not build: ${r.stderr}`);
	return out;
}

/** The notify line; while pushd is down there is no socket, and pushd reads the rows when
 * it starts (as jokes-fetch, a failed notify is only a warning). */
function notify(line) {
	return new Promise((resolve) => {
		const c = net.connect(stack.sock.notify, () => c.end(line));
		c.on('close', () => resolve(true));
		c.on('error', () => resolve(false));
	});
}

/** Store one joke of this category and wake pushd; its record (from the JSON API). */
async function publish(text, category) {
	const r = spawnSync(insert, [path.join(stack.dir, 'state/jokes.db'), '--category', category],
		{ input: `${text}\n`, encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`jokes_insert exited ${r.status}: ${r.stderr}`);
	// a query of its own: nginx's micro-cache may hold ?limit=1 from a second ago
	const rec = (await stack.apiJokes(`limit=1&fresh=${Date.now()}`))[0];
	if (!rec || rec.text !== text) throw new Error(`the new joke is not the newest: ${JSON.stringify(rec)}`);
	await notify(`${JSON.stringify(rec)}\n`);
	return rec;
}

const shown = (page, text) => page.$$eval('#jokes article.joke .joke-text', (els, x) => els.some((e) => e.textContent === x), text);
const tags = (page) => page.$$eval('#jokes article.joke a.category', (els) => els.map((e) => e.textContent));

/** The nginx site with /ws/jokes/ answering 403, so that the page falls back to SSE. */
async function blockWs() {
	const site = path.join(stack.dir, 'web/jokes-site.conf');
	fs.writeFileSync(site, stack.render('nginx-site').replace('location /ws/jokes/ {', 'location /ws/jokes/ {\n\t\treturn 403;'));
	process.kill(stack.procs.nginx.pid, 'SIGHUP');
	for (let i = 0; i < 100; i++) {
		if (await fetch(`${stack.url}/ws/jokes/`).then((r) => r.status, () => 0) === 403) return true;
		await sleep(50);
	}
	return false;
}

try {
	await stack.start();
	insert = buildInsert();
	for (let i = 1; i <= 3; i++) await publish(`Stored programming joke ${i}`, 'programming');
	await publish('Stored dad joke', 'dad');

	browser = await launchBrowser();
	const page = await browser.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	const sockets = [];
	page.on('websocket', (ws) => sockets.push(ws.url()));
	const requests = [];
	page.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));

	await page.goto(`${stack.url}/jokes/`);
	t.check(await waitState(page, 'live'), 'the unfiltered page goes live');
	const all = await tags(page);
	t.check(all.includes('programming') && all.includes('dad'), 'unfiltered: jokes of several categories, each tagged', JSON.stringify(all));

	await page.click('nav.categories a[href$="?category=programming"]');
	await page.waitForURL(/\?category=programming$/);
	t.check(await waitState(page, 'live'), 'after the click on "programming": the filtered page goes live');
	const want = (await stack.apiJokes(`category=programming&limit=100&fresh=${Date.now()}`)).map((j) => j.id);
	const ids = await pageIds(page);
	t.check(want.length === 3 && JSON.stringify(ids) === JSON.stringify(want),
		'only the programming jokes are shown, newest first', `${JSON.stringify(ids)} vs ${JSON.stringify(want)}`);
	t.check((await tags(page)).every((c) => c === 'programming'), 'every card is tagged programming');
	t.check(await page.$eval('nav.categories a[aria-current="page"]', (e) => e.textContent.startsWith('programming')),
		'the programming link is marked current');
	const wsUrl = sockets.length ? new URL(sockets[sockets.length - 1]) : null;
	t.check(wsUrl && wsUrl.searchParams.get('category') === 'programming' && wsUrl.searchParams.get('since') === String(want[0]),
		'the WebSocket URL carries since= and category=programming', sockets[sockets.length - 1]);

	// live: the dad joke goes first, so once the programming one is shown the dad one had its chance
	await publish('Live dad joke', 'dad');
	const live = await publish('Live programming joke', 'programming');
	t.check(await waitForJoke(page, 'Live programming joke', 15000) === live.id, 'a live programming joke appears');
	t.check(!(await shown(page, 'Live dad joke')), 'a live dad joke does not appear on the programming page');

	// a gap: pushd away while four jokes are stored, back with a ring of two
	await stack.stopPushd();
	await publish('Gap dad joke 1', 'dad');
	await publish('Gap programming joke 1', 'programming');
	await publish('Gap dad joke 2', 'dad');
	await publish('Gap programming joke 2', 'programming');
	const before = requests.length;
	await stack.startPushd();
	t.check(await waitForJoke(page, 'Gap programming joke 1', 40000) !== null && await waitForJoke(page, 'Gap programming joke 2') !== null,
		'after the gap: both programming jokes from the gap appear');
	const fills = requests.slice(before).filter((r) => r.url.includes('/jokes/api/jokes?'));
	t.check(fills.length > 0 && fills.every((r) => new URL(r.url).searchParams.get('category') === 'programming'),
		'the gap is filled from the JSON API with category=programming', JSON.stringify(fills.map((r) => r.url)));
	t.check(!(await shown(page, 'Gap dad joke 1')) && !(await shown(page, 'Gap dad joke 2')), 'no dad joke from the gap appears');

	// SSE: the WebSocket refused, the stream URL carries the filter too
	t.check(await blockWs(), 'the site variant answers 403 on /ws/jokes/');
	const since = requests.length;
	await page.reload();
	try {
		await page.waitForFunction(() => /Server-Sent Events/.test(document.getElementById('status').textContent),
			null, { timeout: 20000, polling: 100 });
	} catch { /* checked below */ }
	t.check(await waitState(page, 'live', 1000), 'WebSocket refused: the filtered page goes live over SSE');
	const streams = requests.slice(since).filter((r) => r.url.includes('/sse/jokes/'));
	t.check(streams.length > 0 && streams.every((r) => new URL(r.url).searchParams.get('category') === 'programming'),
		'the SSE URL carries category=programming', JSON.stringify(streams.map((r) => r.url)));
	await publish('SSE dad joke', 'dad');
	const sse = await publish('SSE programming joke', 'programming');
	t.check(await waitForJoke(page, 'SSE programming joke', 15000) === sse.id, 'over SSE: a live programming joke appears');
	t.check(!(await shown(page, 'SSE dad joke')), 'over SSE: a live dad joke does not appear');
	t.check(errors.length === 0, 'no script error on the page', errors.join(' | '));
} catch (e) {
	t.check(false, 'the category stack runs', e && e.stack);
	console.log(stack.dir ? stack.tail() : '');
} finally {
	if (browser) await browser.close();
	await stack.stop(t.failed > 0);
	t.done();
}
