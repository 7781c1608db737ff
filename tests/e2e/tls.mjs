// tls.mjs - the shipped nginx site over HTTPS, as a user enables it: the "#tls " lines
// uncommented (tools/proxy-conf.sh TLS=on) with a self-signed certificate made by openssl.
// Chromium (told to accept that certificate) loads the page over https, goes live over
// wss:// through the same server block, and a new joke arrives; the answer carries HSTS,
// the event stream is served over https too, and plain http stays without HSTS.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Stack, freePort, launchBrowser, reporter } from './lib/stack.mjs';
import { waitForJoke, waitState } from './lib/checks.mjs';

const t = reporter();

/** The stack's nginx with TLS on a second port, certificate made in the stack's directory. */
class TlsStack extends Stack {
	render(kind, extra = {}) {
		if (kind !== 'nginx-site') return super.render(kind, extra);
		return super.render(kind, { TLS: 'on', TLS_LISTEN: `127.0.0.1:${this.tlsPort}`,
			TLS_CERT: this.cert, TLS_KEY: this.key, ...extra });
	}

	async startWeb() {
		this.tlsPort = await freePort();
		this.cert = path.join(this.dir, 'web/cert.pem');
		this.key = path.join(this.dir, 'web/key.pem');
		const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
			'-subj', '/CN=localhost', '-keyout', this.key, '-out', this.cert], { encoding: 'utf8' });
		if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
		await super.startWeb();
		this.https = `https://127.0.0.1:${this.tlsPort}`;
	}
}

const s = new TlsStack('nginx');
let browser;
try {
	await s.start();
	browser = await launchBrowser();
	const context = await browser.newContext({ ignoreHTTPSErrors: true });
	const page = await context.newPage();
	const sockets = [];
	page.on('websocket', (ws) => sockets.push(ws.url()));
	const res = await page.goto(`${s.https}/jokes/`);
	t.check(res.status() === 200 && res.url().startsWith('https://'), 'the page loads over https',
		`${res.status()} ${res.url()}`);
	t.check(res.headers()['strict-transport-security'] === 'max-age=31536000',
		'the https answer carries HSTS', res.headers()['strict-transport-security']);
	t.check(await waitState(page, 'live'), 'the page goes live', JSON.stringify(sockets));
	t.check(sockets.length > 0 && sockets[0].startsWith(`wss://127.0.0.1:${s.tlsPort}/ws/jokes/`),
		'over wss:// through the same server block', JSON.stringify(sockets));
	const text = `A joke over TLS ${Date.now()}`;
	await s.apiText(text);
	s.fetchJoke();
	t.check(await waitForJoke(page, text) !== null, 'a new joke arrives live over wss://');

	const sse = await page.evaluate(async () => {
		const ctl = new AbortController();
		const r = await fetch('/sse/jokes/?since=0', { signal: ctl.signal });
		const reader = r.body.getReader();
		let body = '';
		while (!body.includes('event: joke')) {
			const { value, done } = await reader.read();
			if (done) break;
			body += new TextDecoder().decode(value);
		}
		ctl.abort();
		return { status: r.status, type: r.headers.get('content-type'), body };
	});
	t.check(sse.status === 200 && /^text\/event-stream/.test(sse.type) && sse.body.includes('event: joke'),
		'the event stream is served over https', JSON.stringify(sse).slice(0, 200));
	const plain = await fetch(`${s.url}/jokes/`);
	t.check(plain.status === 200 && !plain.headers.get('strict-transport-security'),
		'plain http is served without HSTS');
} catch (e) {
	t.check(false, 'the TLS scenario runs', `${e.stack}\n${s.dir ? s.tail() : ''}`);
} finally {
	if (browser) await browser.close();
	await s.stop(t.failed > 0);
}
t.done();
