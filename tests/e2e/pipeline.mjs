// pipeline.mjs - the whole pipeline under nginx in headless Chromium: fetch -> SQLite ->
// notify -> pushd -> nginx -> browser. Stored jokes on the page, a new joke live without a
// reload, hostile text literal (pushed and server-rendered), pushd restart without gap or
// duplicate; screenshots (light and dark) to $SHOTS (default /tmp).
import fs from 'node:fs';
import path from 'node:path';
import { Stack, launchBrowser, reporter } from './lib/stack.mjs';
import { pageChecks, screenshots } from './lib/checks.mjs';

const t = reporter();
const stack = new Stack('nginx');
let browser;
try {
	await stack.start();
	browser = await launchBrowser();
	const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
	const page = await pageChecks(t, stack, context, 'nginx');

	// Static assets through nginx: versioned URLs cached long, text gzipped.
	const links = await page.$$eval('link[rel=stylesheet], script[src]', (els) => els.map((e) => e.href || e.src));
	t.check(links.length > 0 && links.every((u) => u.startsWith(`${stack.url}/jokes/static/`)),
		'nginx: the page loads its CSS and script from /jokes/static/ (no CDN)', JSON.stringify(links));
	for (const u of links) {
		const res = await fetch(u, { headers: { 'accept-encoding': 'gzip' } });
		const cc = res.headers.get('cache-control') || '';
		const versioned = /[?&]v=|\.[0-9a-f]{8,}\./.test(u);
		t.check(res.ok && (!versioned || /max-age=31536000/.test(cc)),
			`nginx: ${new URL(u).pathname} served${versioned ? ', cached for a year' : ''}`, `${res.status} ${cc}`);
	}
	const gz = await fetch(`${stack.url}/jokes/`, { headers: { 'accept-encoding': 'gzip' } });
	t.check(gz.headers.get('content-encoding') === 'gzip', 'nginx: the page is gzipped', gz.headers.get('content-encoding'));

	// The shipped micro-cache keeps an answer as long as its Cache-Control allows: a list for
	// a second, an error never.
	const cacheDir = path.join(stack.dir, 'web', 'cache');
	const entries = () => {
		try {
			return fs.readdirSync(cacheDir, { recursive: true })
				.filter((f) => fs.statSync(path.join(cacheDir, f)).isFile()).length;
		} catch { return -1; }
	};
	const n0 = entries();
	const listed = await fetch(`${stack.url}/jokes/?limit=3`);
	const n1 = entries();
	const missing = await fetch(`${stack.url}/jokes/999999999`);
	const n2 = entries();
	t.check(listed.status === 200 && missing.status === 404 && n0 >= 0 && n1 === n0 + 1 && n2 === n1,
		'nginx: the micro-cache keeps a page and not an error', `${listed.status} ${missing.status} ${n0} ${n1} ${n2}`);

	await screenshots(page, 'jokes-page');
} catch (e) {
	t.check(false, 'nginx: the stack runs', e && e.stack);
	console.log(stack.dir ? stack.tail() : '');
} finally {
	if (browser) await browser.close();
	await stack.stop(t.failed > 0);
	t.done();
}
