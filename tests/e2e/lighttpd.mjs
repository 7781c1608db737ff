// lighttpd.mjs - the page in headless Chromium under lighttpd in each of its three ways
// (FastCGI to a running jokes-fcgi, FastCGI spawned by lighttpd, plain CGI): stored jokes,
// a new joke live, hostile text literal, pushd restart without gap or duplicate.
import { Stack, launchBrowser, reporter } from './lib/stack.mjs';
import { pageChecks } from './lib/checks.mjs';

const t = reporter();
const browser = await launchBrowser();
try {
	for (const proxy of ['lighttpd-socket', 'lighttpd-spawn', 'lighttpd-cgi']) {
		const stack = new Stack(proxy);
		const context = await browser.newContext();
		try {
			await stack.start();
			await pageChecks(t, stack, context, proxy);
			const gz = await fetch(`${stack.url}/jokes/`, { headers: { 'accept-encoding': 'gzip' } });
			t.check(gz.ok && gz.headers.get('content-encoding') === 'gzip', `${proxy}: the page is gzipped`,
				gz.headers.get('content-encoding'));
		} catch (e) {
			t.check(false, `${proxy}: the stack runs`, e && e.stack);
			console.log(stack.dir ? stack.tail() : '');
		} finally {
			await context.close();
			await stack.stop(t.failed > 0);
		}
	}
} finally {
	await browser.close();
	t.done();
}
