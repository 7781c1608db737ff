// shots.mjs - retake the README's screenshots (docs/screenshots/fcgi-{page,phone}-{light,dark}.png)
// from a live stack: tools/run.sh (what `make run` starts) in a temporary directory with the
// bundled jokes, the page live on its WebSocket. Not a test; run it by hand after `make`:
//
//   node tests/e2e/lib/shots.mjs [OUTDIR]      (default docs/screenshots)
//
// Emoji in jokes need a colour emoji font (Debian: fonts-noto-color-emoji).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, launchBrowser, sleep } from './stack.mjs';
import { waitState } from './checks.mjs';

const out = path.resolve(process.argv[2] || path.join(ROOT, 'docs/screenshots'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jokes-shots-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}/jokes/`;
const run = spawn(path.join(ROOT, 'tools/run.sh'), ['nginx', String(port)], {
	env: { ...process.env, JOKES_RUN_DIR: dir, JOKES_EVERY: '1', JOKES_FETCH_SOURCES: 'bundled' },
	stdio: ['ignore', 'inherit', 'inherit'],
});
let browser;
try {
	// a few jokes first (one a second), then the pictures
	for (let n = 0; n < 12 && !(n >= 7 && (await jokes()) >= 7); n++) await sleep(1000);
	browser = await launchBrowser();
	for (const [name, viewport] of [['page', { width: 900, height: 1300 }], ['phone', { width: 420, height: 900 }]]) {
		const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
		const page = await context.newPage();
		for (const scheme of ['light', 'dark']) {
			await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
			await page.goto(url);
			if (!await waitState(page, 'live')) throw new Error('the page did not go live');
			await sleep(300);
			const file = path.join(out, `fcgi-${name}-${scheme}.png`);
			await page.screenshot({ path: file });
			console.log(`# ${file}`);
		}
		await context.close();
	}
} finally {
	if (browser) await browser.close();
	run.kill('SIGTERM');
	await new Promise((resolve) => run.on('exit', resolve));
	fs.rmSync(dir, { recursive: true, force: true });
}

async function jokes() {
	try {
		const res = await fetch(`${url}api/jokes?limit=100`);
		return res.ok ? (await res.json()).jokes.length : 0;
	} catch {
		return 0;
	}
}
