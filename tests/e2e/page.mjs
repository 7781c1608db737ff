// page.mjs - the jokes page as a reader uses it, in headless Chromium under nginx: paging back
// and forward, a permalink, search with highlights, a two-part joke on two lines, relative
// times, the page without JavaScript, no CSP violation, and a gap larger than pushd's replay
// ring filled from the JSON API after a pushd restart (no joke missing or doubled).
import { Stack, launchBrowser, reporter, sleep } from './lib/stack.mjs';
import { pageIds, screenshots, waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();
const TWO_PART = 'Why do programmers prefer dark mode?\nBecause light attracts bugs.';
const seed = [];
for (let i = 1; i <= 11; i++) seed.push(i === 4 ? `The platypus number ${i} walks into a bar` : `Stored paging joke number ${i}`);
seed.push(TWO_PART);
const stack = new Stack('nginx', { fcgi_page_size: '5', pushd_ring_size: '3' }, seed);
let browser;

async function pagingChecks(page) {
	await page.goto(`${stack.url}/jokes/`);
	const first = await pageIds(page);
	t.check(first.length === 5, 'paging: the first page holds fcgi_page_size (5) jokes', JSON.stringify(first));
	const all = [...first];
	let pages = 1;
	while (await page.$('a[rel="next"]') && pages < 10) {
		await Promise.all([page.waitForNavigation(), page.click('a[rel="next"]')]);
		all.push(...await pageIds(page));
		pages++;
	}
	t.check(new URL(page.url()).searchParams.has('before'), 'paging: "Older" leads to ?before=ID', page.url());
	const expect = Array.from({ length: stack.stored }, (_, i) => stack.stored - i);
	t.check(JSON.stringify(all) === JSON.stringify(expect),
		'paging: walking "Older" shows every stored joke once, newest first', `${JSON.stringify(all)} want ${JSON.stringify(expect)}`);
	t.check(await page.$eval('body', (b) => b.dataset.live) === '0', 'paging: older pages have no live feed');
	// back up with "Newer" from the second page: the first page again
	await page.goto(`${stack.url}/jokes/?before=${first[first.length - 1]}`);
	await Promise.all([page.waitForNavigation(), page.click('a[rel="prev"]')]);
	t.check(JSON.stringify(await pageIds(page)) === JSON.stringify(first), 'paging: "Newer" from page 2 shows page 1 again',
		JSON.stringify(await pageIds(page)));
}

async function permalinkChecks(page) {
	await page.goto(`${stack.url}/jokes/`);
	const id = (await pageIds(page))[1];
	const text = await page.$eval(`article.joke[data-id="${id}"] .joke-text`, (e) => e.textContent);
	await Promise.all([page.waitForNavigation(), page.click(`article.joke[data-id="${id}"] .message-header a`)]);
	t.check(new URL(page.url()).pathname === `/jokes/${id}`, 'permalink: the card links to /jokes/ID', page.url());
	t.check(JSON.stringify(await pageIds(page)) === JSON.stringify([id]) &&
		await page.$eval('.joke-text', (e) => e.textContent) === text, 'permalink: the one joke, same text');
	const res = await page.goto(`${stack.url}/jokes/999999`);
	t.check(res.status() === 404 && (await page.content()).includes('no joke with this number'), 'permalink: unknown id is a 404 page');
}

async function searchChecks(page) {
	await page.goto(`${stack.url}/jokes/`);
	await page.fill('input[name="q"]', 'platypus');
	await Promise.all([page.waitForNavigation(), page.press('input[name="q"]', 'Enter')]);
	t.check(new URL(page.url()).searchParams.get('q') === 'platypus', 'search: the form submits ?q=', page.url());
	const texts = await page.$$eval('#jokes .joke-text', (els) => els.map((e) => e.textContent));
	t.check(texts.length === 1 && texts[0] === seed[3], 'search: only the matching joke', JSON.stringify(texts));
	t.check(await page.$$eval('#jokes mark', (els) => els.map((e) => e.textContent).join()) === 'platypus',
		'search: the match is highlighted with <mark>');
	const res = await page.goto(`${stack.url}/jokes/?q=${encodeURIComponent('"NEAR( * -')}`);
	t.check(res.status() === 200, 'search: FTS5 syntax in the words is harmless', res.status());
	const bad = await page.goto(`${stack.url}/jokes/?before=-1`);
	t.check(bad.status() === 400, 'bad input: ?before=-1 is a 400 page', bad.status());
}

async function lookChecks(page) {
	await page.goto(`${stack.url}/jokes/`);
	const two = await page.$$eval('#jokes .joke-text', (els, want) => els.filter((e) => e.textContent === want)
		.map((e) => ({ ws: getComputedStyle(e).whiteSpace, lines: Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)) })), TWO_PART);
	t.check(two.length === 1 && two[0].ws === 'pre-line' && two[0].lines === 2,
		'look: a two-part joke shows as two lines', JSON.stringify(two));
	const times = await page.$$eval('#jokes time', (els) => els.map((e) => [e.getAttribute('datetime'), e.textContent]));
	t.check(times.length > 0 && times.every(([dt, txt]) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(dt) && /just now|min ago/.test(txt)),
		'look: relative time with the exact time in <time datetime>', JSON.stringify(times.slice(0, 2)));
	t.check(await page.$eval('#jokes', (e) => e.getAttribute('aria-live')) === 'polite', 'look: new jokes are announced (aria-live)');
	const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	await page.emulateMedia({ colorScheme: 'dark' });
	const dark2 = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	await page.emulateMedia({ colorScheme: 'light' });
	t.check(dark !== dark2, 'look: prefers-color-scheme dark changes the colours', `${dark} / ${dark2}`);
}

async function noScriptChecks() {
	const ctx = await browser.newContext({ javaScriptEnabled: false });
	const page = await ctx.newPage();
	await page.goto(`${stack.url}/jokes/`);
	t.check((await pageIds(page)).length === 5, 'without JavaScript the jokes are server-rendered');
	await ctx.close();
}

/** pushd down while more jokes than its replay ring are stored: the page fills the gap over HTTP. */
async function gapChecks(page) {
	const api = [];
	page.on('request', (r) => { if (r.url().includes('/jokes/api/jokes?since=')) api.push(r.url()); });
	await page.goto(`${stack.url}/jokes/`);
	t.check(await waitState(page, 'live'), 'gap: page live');
	const before = await pageIds(page);
	await stack.stopPushd();
	const missed = [];
	for (let i = 0; i < 6; i++) {
		const text = `Missed during the outage ${i} ${Date.now()}`;
		await stack.apiText(text);
		if (stack.fetchJoke().status === 0) missed.push(text);
	}
	await sleep(300);
	await stack.startPushd();
	const ids = [];
	for (const text of missed) ids.push(await waitForJoke(page, text, 15000));
	t.check(ids.every((x) => x !== null), 'gap: all 6 jokes stored while pushd was down appear', JSON.stringify(ids));
	t.check(api.length > 0, 'gap: the missing jokes came from the JSON API (ring of 3 < 6)', JSON.stringify(api));
	await sleep(500);
	const after = await pageIds(page);
	const expect = [...ids].reverse().concat(before);
	t.check(JSON.stringify(after) === JSON.stringify(expect), 'gap: no joke missing or doubled, newest first',
		`${JSON.stringify(after)} want ${JSON.stringify(expect)}`);
}

try {
	await stack.start();
	browser = await launchBrowser();
	const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
	const page = await context.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text()); });
	await pagingChecks(page);
	await permalinkChecks(page);
	await searchChecks(page);
	await lookChecks(page);
	await noScriptChecks();
	await gapChecks(page);
	t.check(errors.length === 0, 'no script error and no CSP violation on any page', errors.join(' | '));
	await screenshots(page, 'jokes-page-phone');
} catch (e) {
	t.check(false, 'page: the stack runs', e && e.stack);
	console.log(stack.dir ? stack.tail() : '');
} finally {
	if (browser) await browser.close();
	await stack.stop(t.failed > 0);
	t.done();
}
