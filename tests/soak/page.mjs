// page.mjs - the real jokes page in headless Chromium for the soak: records every joke card
// it shows, in the order they appear, and checks at each change that the list is what the page
// promises (docs/design.md, static/jokes.js add()): newest first, each id once.
//
//   node tests/soak/page.mjs URL REPORT_FILE
//
// REPORT_FILE is rewritten every 2 s and on SIGTERM (then the browser is closed and the
// program exits 0): {"initial": [ids the HTML came with], "shown": [ids added later, in the
// order they appeared], "violations": [{"at", "ids"}: the list not strictly descending],
// "newest", "state": the status line's data-state, "text": its text, "errors": [page errors]}.
// Chromium is Debian's, driven by playwright-core (tests/node_modules), as tests/e2e do.
import fs from 'node:fs';
import { launchBrowser } from '../e2e/lib/stack.mjs';

const [url, reportFile] = process.argv.slice(2);
if (!url || !reportFile) {
	console.error('usage: page.mjs URL REPORT_FILE');
	process.exit(64);
}

// Runs in the page before its own script: a MutationObserver on the document sees the
// parser insert the first cards and jokes.js insert (and drop) the others.
function recorder() {
	const rec = { initial: [], shown: [], violations: [], loaded: false };
	window.__soak = rec;
	const check = (list) => {
		const ids = Array.from(list.querySelectorAll('article.joke'), (a) => Number(a.getAttribute('data-id')));
		for (let i = 1; i < ids.length; i++) {
			if (!(ids[i - 1] > ids[i])) {
				if (rec.violations.length < 50) rec.violations.push({ at: Date.now() / 1000, ids: ids.slice(Math.max(0, i - 3), i + 3) });
				return;
			}
		}
	};
	new MutationObserver((muts) => {
		let list = null;
		for (const m of muts) {
			for (const n of m.addedNodes) {
				if (n.nodeType !== 1 || !n.matches('article.joke')) continue;
				const id = Number(n.getAttribute('data-id'));
				(rec.loaded ? rec.shown : rec.initial).push(id);
				list = n.parentNode;
			}
		}
		if (list) check(list);
	}).observe(document, { childList: true, subtree: true });
	document.addEventListener('DOMContentLoaded', () => { rec.loaded = true; });
}

const browser = await launchBrowser();
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
await page.addInitScript(recorder);
await page.goto(url, { waitUntil: 'domcontentloaded' });

async function write() {
	let r;
	try {
		r = await page.evaluate(() => {
			const s = document.getElementById('status');
			const rec = window.__soak;
			const ids = [...rec.initial, ...rec.shown];
			return { initial: rec.initial, shown: rec.shown, violations: rec.violations,
				newest: ids.length ? Math.max(...ids) : 0,
				state: s ? s.getAttribute('data-state') : null, text: s ? s.textContent : null };
		});
	} catch (e) {
		errors.push(`evaluate: ${e}`);
		return;
	}
	r.errors = errors;
	fs.writeFileSync(`${reportFile}.tmp`, JSON.stringify(r));
	fs.renameSync(`${reportFile}.tmp`, reportFile);
}

let stopping = false;
const timer = setInterval(write, 2000);
process.on('SIGTERM', async () => {
	if (stopping) return;
	stopping = true;
	clearInterval(timer);
	await write();
	await browser.close();
	process.exit(0);
});
await write();
