// a11y.mjs - axe-core (tests/node_modules/axe-core) in headless Chromium under nginx: no
// WCAG 2.0/2.1 A and AA or best-practice violation on the newest jokes, a permalink, search
// results, an older page, lists filtered by category, a 404, a 400 and the page of an empty
// database, in light and dark; and no console error on page load (the icon, the assets, the
// WebSocket). A failure names each rule and its nodes.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, Stack, launchBrowser, reporter } from './lib/stack.mjs';
import { pageIds, waitState } from './lib/checks.mjs';

const t = reporter();
const AXE = path.join(ROOT, 'tests/node_modules/axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'];
const seed = [
	'I told my wife she was drawing her eyebrows too high. She looked surprised.',
	'Why do cows wear bells?\nBecause their horns do not work.',
	'I would tell you a joke about UDP, but you might not get it.',
];
let browser;

/** Run axe on the page as it is; the violations as [{id, impact, nodes, targets}].
 * axe goes in through the devtools protocol (page.evaluate), not a <script> tag: the page's
 * CSP (script-src 'self') refuses inline scripts, and the page is audited with its CSP on. */
async function audit(page) {
	await page.evaluate(fs.readFileSync(AXE, 'utf8'));
	const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
	return result.violations.map((v) => ({
		id: v.id, impact: v.impact, nodes: v.nodes.length,
		targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
	}));
}

function describe(violations) {
	return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes} nodes, e.g. ${v.targets.join(', ')}`).join('; ');
}

/** Open url in a fresh page in both colour schemes: no console error, no axe violation.
 * status: the page's own HTTP status (Chromium logs a non-200 document as an error). */
async function checkPage(context, url, name, live, status = 200) {
	for (const scheme of ['light', 'dark']) {
		const page = await context.newPage();
		const errors = [];
		page.on('console', (m) => {
			const own = m.location().url === url && status !== 200 && m.text().includes(`status of ${status}`);
			if (m.type() === 'error' && !own) errors.push(`${m.text()} [${m.location().url}]`);
		});
		page.on('pageerror', (e) => errors.push(String(e)));
		page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
		await page.emulateMedia({ colorScheme: scheme });
		const res = await page.goto(url);
		if (live) t.check(await waitState(page, 'live'), `${name} (${scheme}): the page is live`);
		await page.waitForLoadState('networkidle');
		const violations = await audit(page);
		const nodes = violations.reduce((n, v) => n + v.nodes, 0);
		console.log(`# axe ${name} ${scheme}: ${violations.length} violations, ${nodes} nodes`);
		t.check(violations.length === 0, `${name} (${scheme}): axe finds no violation`, describe(violations));
		t.check(res && res.status() === status, `${name} (${scheme}): HTTP ${status}`, res && res.status());
		t.check(errors.length === 0, `${name} (${scheme}): no console error on load`, errors.join(' | '));
		await page.close();
	}
}

const stacks = [];
try {
	const stack = new Stack('nginx', { fcgi_page_size: '2' }, seed); // pages with a pager
	stacks.push(stack);
	await stack.start();
	browser = await launchBrowser();
	const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
	const probe = await context.newPage();
	await probe.goto(`${stack.url}/jokes/`);
	const id = (await pageIds(probe))[1];
	await probe.close();
	await checkPage(context, `${stack.url}/jokes/`, 'newest jokes', true);
	await checkPage(context, `${stack.url}/jokes/${id}`, `permalink /jokes/${id}`, false);
	await checkPage(context, `${stack.url}/jokes/?q=cows`, 'search results', false);
	// a filtered list: the row of categories with one marked current, several marked, no jokes
	const cat = (await stack.apiJokes('limit=1'))[0].category;
	await checkPage(context, `${stack.url}/jokes/?category=${cat}`, `category ${cat}`, true);
	await checkPage(context, `${stack.url}/jokes/?category=${cat === 'dad' ? 'pun' : 'dad'},${cat}`, 'two categories', true);
	await checkPage(context, `${stack.url}/jokes/?category=spooky&q=cows`, 'search in an empty category', false);
	await checkPage(context, `${stack.url}/jokes/?category=nope`, 'unknown category (400)', false, 400);
	await checkPage(context, `${stack.url}/jokes/?before=2`, 'older jokes', false);
	await checkPage(context, `${stack.url}/jokes/999999`, 'unknown joke (404)', false, 404);
	const ico = await fetch(`${stack.url}/favicon.ico`);
	t.check(ico.status !== 404 && ico.ok, 'nginx: /favicon.ico is answered', ico.status);

	const empty = new Stack('nginx', {}, []);
	stacks.push(empty);
	await empty.start();
	await checkPage(context, `${empty.url}/jokes/`, 'empty database', true);
	await context.close();
} catch (e) {
	t.check(false, 'a11y: the stack runs', e && e.stack);
	for (const s of stacks) console.log(s.dir ? s.tail() : '');
} finally {
	if (browser) await browser.close();
	for (const s of stacks) await s.stop(t.failed > 0);
	t.done();
}
