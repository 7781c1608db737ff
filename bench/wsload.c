/* wsload.c - WebSocket (or Server-Sent Events) fan-out load generator for make bench (pushd,
 * nginx+nchan, ws_ideal).
 *
 * usage: wsload -p PORT [-H HOST] [-u PATH] [-n CLIENTS] [-m MESSAGES] [-s SOURCES]
 *               [-P PUBLISH_CMD [-K]] [-i INTERVAL_MS] [-O ORIGIN] [-w WAIT_S] [-W HOLD_S] [-E] [-b BURST] [-S SLOW]
 *               [-R READ_PAUSE_US] [-e] [-F PATH2] [-X AFTER_MS]
 * Opens CLIENTS WebSocket connections to HOST:PORT PATH (forking a child per
 * 18 000 sockets, binding source addresses 127.0.0.1..127.0.0.SOURCES), then
 * runs PUBLISH_CMD (sh -c) MESSAGES times, INTERVAL_MS apart, taking the time
 * just before each. Every text message a client receives is matched, in order,
 * to a publish, with two times: "user", CLOCK_REALTIME right after the read()
 * that completed the message returned (what a page's script sees), and
 * "kernel", the receive timestamp the kernel gave that read (SO_TIMESTAMPNS:
 * the generator's own turn on the CPU left out). Each child reads a socket as
 * soon as epoll says it is readable; -R READ_PAUSE_US sleeps that long after
 * each batch of events once all are connected (the old batching; 0 = none).
 * -K: PUBLISH_CMD is a publisher that stays up (started once,
 * before the clients connect, so it can open its connection): each publish
 * is one line written to its standard input. Prints one line per message: the
 * count of clients that got it, then p50, p99 and the time until all clients had it
 * (ms after the publish), user times first, then kernel times:
 *   msg received user_p50 user_p99 user_all kernel_p50 kernel_p99 kernel_all
 * after a header whose message_bytes is the mean payload of the text messages received.
 * -b BURST: each publish yields BURST jokes (the line then covers all of them:
 * latencies of every joke of the burst, count = clients that got the whole burst).
 * -W HOLD_S: hold the connected clients that long before the first publish (1).
 * -E: choose each client's source port (10000 + i / SOURCES), for 25 000 and more per address.
 * -S SLOW: also open SLOW clients that never read (4 KB SO_RCVBUF), after the
 * others; at the end reports how many of them the server closed.
 * -e: each client is an event stream (GET PATH, a 200 text/event-stream answer): a
 * message is an event with a data: line, complete at the blank line that ends it; comment
 * lines and the retry: hint are not messages. message_bytes is then the event's bytes.
 * -F PATH2: every second client (odd index) asks for PATH2 instead of PATH (half the
 * clients with a ?category= filter, say); each must still get every message.
 * -X AFTER_MS: once every client is done reading, print "wsload: done reading" on
 * standard error and keep the connections open AFTER_MS more before closing them, so
 * that a caller can read the server's CPU over the publish phase alone, without the
 * clients' teardown (0, the default: close at once).
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PER_PROC 18000
#define MAXMSG 64
#define MAXFRAMES 4096

struct conn {
	int fd;
	int state; /* 0 handshaking, 1 open, 2 dead */
	int got;   /* text messages seen */
	size_t hlen;
	unsigned char hdr[16]; /* partial frame header */
	uint64_t need;	       /* payload bytes still to skip */
	int op, fin;
	int text;	       /* inside a text message (its first frame seen) */
	int bol, data;	       /* -e: at a line's start; the current event has a data: line */
	size_t elen;	       /* -e: bytes of the current event so far */
	double bytes;	       /* payload bytes of the text messages */
	size_t clen;
	unsigned char ctl[128]; /* payload of a control frame (a ping is answered) */
};

/* Answer a ping with a masked pong carrying the same payload (mask 0). */
static void pong(struct conn *c)
{
	unsigned char f[6 + 128] = {0x8A, (unsigned char)(0x80 | c->clen), 0, 0, 0, 0};

	memcpy(f + 6, c->ctl, c->clen);
	(void)!write(c->fd, f, 6 + c->clen);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char *host = "127.0.0.1", *path = "/ws/jokes/", *origin = NULL, *pubcmd = NULL;
static const char *path2 = NULL; /* -F: the odd clients' path */
static int kept; /* -K */
static int port, nclients = 1000, nmsg = 5, nsrc = 4, interval = 1000, waits = 10, burst = 1, nslow;
static int hold = 1; /* -W: seconds between all connected and the first publish */
static int after_ms; /* -X: milliseconds the clients stay connected once done reading */
static int explicit_ports; /* -E: each client's source port chosen here, not by the kernel */
static int read_pause_us; /* -R */
static int sse; /* -e */
static int nframes; /* nmsg * burst: text messages each client should see */

/* When a read returned: user = CLOCK_REALTIME after it, kernel = its SO_TIMESTAMPNS (ms). */
struct stamp {
	double user, kernel;
};

static int dial(int i, const char *req, size_t reqlen, int rcvbuf)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf) /* before connect, so the window stays small */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	src.sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(i % nsrc));
	if (explicit_ports) {
		/* -E: client i takes port 10000 + i / nsrc of its address (or one 26 000 above,
		 * when that is taken): the kernel's own search for a free port, at bind() or at
		 * connect(), walks the ports in use, which at 25 000 per address costs more than
		 * everything else the generator does */
		src.sin_port = htons((uint16_t)(10000 + i / nsrc));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			src.sin_port = htons((uint16_t)(36000 + i / nsrc));
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
				goto fail;
		}
	} else {
		/* pick the port at connect time: bind() choosing one is O(ports in use) */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			goto fail;
	}
	dst.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &dst.sin_addr);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		goto fail;
	if (write(fd, req, reqlen) != (ssize_t)reqlen)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -1;
}

/* A frame of c ended (header and payload read): a text message that ends here is counted. */
static void frame_done(struct conn *c, const struct stamp *t, struct stamp *rx)
{
	if (c->op == 9)
		pong(c);
	if (c->op == 1)
		c->text = 1;
	if ((c->op == 0 || c->op == 1) && c->fin && c->text) {
		c->text = 0;
		if (c->got < nframes)
			rx[c->got++] = *t;
	}
}

/* Consume bytes of the frame stream read at t; stamp each text message that completes. */
static void feed(struct conn *c, const unsigned char *p, size_t n, const struct stamp *t, struct stamp *rx)
{
	while (n) {
		if (c->need) {
			size_t k = n < c->need ? n : c->need;
			if (c->op & 8 && c->clen + k <= sizeof(c->ctl)) {
				memcpy(c->ctl + c->clen, p, k);
				c->clen += k;
			}
			c->need -= k, p += k, n -= k;
			if (!c->need)
				frame_done(c, t, rx);
			continue;
		}
		c->hdr[c->hlen++] = *p++, n--;
		if (c->hlen < 2)
			continue;
		size_t want = 2 + ((c->hdr[1] & 127) == 126 ? 2 : (c->hdr[1] & 127) == 127 ? 8 : 0);
		if (c->hlen < want)
			continue;
		uint64_t len = c->hdr[1] & 127;
		if (len == 126)
			len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
		else if (len == 127)
			for (int k = 0; k < 8; k++)
				len = len << 8 | c->hdr[2 + k];
		c->need = len;
		c->hlen = 0;
		c->op = c->hdr[0] & 15;
		c->fin = c->hdr[0] >> 7;
		c->clen = 0;
		if (c->op == 1 || (c->op == 0 && c->text))
			c->bytes += (double)len;
		if (!len)
			frame_done(c, t, rx);
	}
}

/* -e: consume bytes of the event stream read at t; stamp each event with data that completes. */
static void feed_sse(struct conn *c, const unsigned char *p, size_t n, const struct stamp *t, struct stamp *rx)
{
	for (size_t k = 0; k < n; k++) {
		c->elen++;
		if (p[k] != '\n') {
			if (c->bol && p[k] == 'd') /* only the data: field starts with 'd' */
				c->data = 1;
			c->bol = 0;
			continue;
		}
		if (!c->bol) {
			c->bol = 1;
			continue;
		}
		if (c->data) { /* a blank line: the event ends */
			c->bytes += (double)c->elen;
			if (c->got < nframes)
				rx[c->got++] = *t;
		}
		c->data = 0;
		c->elen = 0;
	}
}

/* recv; t->user is the clock right after it, t->kernel the kernel's receive time (or t->user). */
static ssize_t recv_stamped(int fd, unsigned char *buf, size_t size, struct stamp *t)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	ssize_t r = recvmsg(fd, &mh, 0);

	t->user = t->kernel = now_ms();
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); r > 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			t->kernel = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
		}
	return r;
}

/* The upgrade request (with -e the stream's GET) for path. */
static int build_req(char *req, size_t size, const char *url)
{
	if (sse)
		return snprintf(req, size, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n%s%s%s\r\n",
				url, host, port, origin ? "Origin: " : "", origin ? origin : "",
				origin ? "\r\n" : "");
	return snprintf(req, size,
			"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
			url, host, port, origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "");
}

/* One child's clients and what they received. */
struct held {
	struct conn *cs;
	struct stamp *rx;
	int ep, go_fd, open_n;
	double end; /* when to stop reading (0: not yet told) */
	unsigned char buf[65536];
};

/* Read what epoll says is ready, for up to timeout ms; returns how many events came. */
static int service(struct held *h, int timeout)
{
	struct epoll_event evs[4096];
	int n = epoll_wait(h->ep, evs, 4096, timeout);

	for (int k = 0; k < n; k++) {
		uint32_t i = evs[k].data.u32;
		struct stamp t;
		if (i == 0xffffffff) { /* parent: publishing done, linger then report */
			int w;
			(void)!read(h->go_fd, &w, sizeof(w));
			h->end = now_ms() + w;
			epoll_ctl(h->ep, EPOLL_CTL_DEL, h->go_fd, NULL);
			continue;
		}
		struct conn *c = &h->cs[i];
		ssize_t r = recv_stamped(c->fd, h->buf, sizeof(h->buf), &t);
		if (r <= 0) {
			epoll_ctl(h->ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			if (c->state == 1)
				h->open_n--;
			c->state = 2;
			continue;
		}
		size_t off = 0;
		if (c->state == 0) {
			unsigned char *e = memmem(h->buf, (size_t)r, "\r\n\r\n", 4);
			if (!e || memcmp(h->buf, sse ? "HTTP/1.1 200" : "HTTP/1.1 101", 12)) {
				c->state = 2;
				close(c->fd);
				continue;
			}
			c->state = 1;
			h->open_n++;
			off = (size_t)(e + 4 - h->buf);
			c->bol = 1;
		}
		if (sse) {
			feed_sse(c, h->buf + off, (size_t)r - off, &t, h->rx + (size_t)i * (size_t)nframes);
			continue;
		}
		feed(c, h->buf + off, (size_t)r - off, &t, h->rx + (size_t)i * (size_t)nframes);
	}
	return n;
}

/* Child: hold count clients; report rx times per client through out. */
static void child(int first, int count, int ready_fd, int go_fd, int out_fd)
{
	char req[1024], req2[1024];
	int reqlen = build_req(req, sizeof(req), path);
	int reqlen2 = build_req(req2, sizeof(req2), path2 ? path2 : path);
	struct held *h = calloc(1, sizeof(*h));
	struct conn *cs = calloc((size_t)count, sizeof(*cs));
	struct stamp *rx = calloc((size_t)count * (size_t)nframes, sizeof(*rx));

	if (!h || !cs || !rx)
		_exit(71);
	h->cs = cs, h->rx = rx, h->go_fd = go_fd, h->ep = epoll_create1(0);
	for (int i = 0; i < count; i++) {
		int odd = (first + i) % 2;

		cs[i].fd = dial(first + i, odd ? req2 : req, (size_t)(odd ? reqlen2 : reqlen), 0);
		cs[i].state = cs[i].fd < 0 ? 2 : 0;
		if (cs[i].fd >= 0) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
			epoll_ctl(h->ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		}
		/* answer what came while dialing (handshakes, pings): tens of thousands of
		 * clients take long enough to dial that the first ones are pinged */
		if (i % 256 == 255)
			while (service(h, 0) > 0)
				;
	}
	double deadline = now_ms() + 30000 + count / 2.0;
	int go = 0;
	for (;;) {
		double t0 = now_ms();
		if (!go && (h->open_n == count || t0 > deadline)) {
			(void)!write(ready_fd, &h->open_n, sizeof(h->open_n));
			go = 1;
		}
		if (go == 1) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0xffffffff};
			epoll_ctl(h->ep, EPOLL_CTL_ADD, go_fd, &ev);
			go = 2;
		}
		if (h->end && t0 > h->end)
			break;
		int n = service(h, 100);
		/*
		 * -R: once all are connected, read in batches (fewer wake-ups leave the CPU to
		 * the server; the user times then include the pause, the kernel's do not).
		 */
		if (read_pause_us && go == 2 && n > 0 && n < 4096)
			usleep((useconds_t)read_pause_us);
	}
	for (int i = 0; i < count; i++) {
		int got = cs[i].got;
		(void)!write(out_fd, &got, sizeof(got));
		(void)!write(out_fd, &cs[i].bytes, sizeof(cs[i].bytes));
		(void)!write(out_fd, rx + (size_t)i * (size_t)nframes, sizeof(*rx) * (size_t)nframes);
	}
	close(out_fd);
	if (after_ms) { /* -X: the parent says when to close (one int each, any of them) */
		int w;
		(void)!read(go_fd, &w, sizeof(w));
	}
	_exit(0);
}


static int opts(int argc, char **argv)
{
	int bad = 0;

	for (int o; (o = getopt(argc, argv, "p:H:u:n:m:s:P:Ki:O:w:W:Eb:S:R:eF:X:")) != -1;) {
		switch (o) {
		case 'p': bad |= cli_int(optarg, 1, 65535, &port); break;
		case 'H': host = optarg; break;
		case 'u': path = optarg; break;
		case 'n': bad |= cli_int(optarg, 1, PER_PROC * 64, &nclients); break;
		case 'm': bad |= cli_int(optarg, 1, MAXMSG, &nmsg); break;
		case 's': bad |= cli_int(optarg, 1, 254, &nsrc); break;
		case 'P': pubcmd = optarg; break;
		case 'K': kept = 1; break;
		case 'i': bad |= cli_int(optarg, 0, 3600000, &interval); break;
		case 'O': origin = optarg; break;
		case 'w': bad |= cli_int(optarg, 0, 3600, &waits); break;
		case 'W': bad |= cli_int(optarg, 0, 3600, &hold); break;
		case 'E': explicit_ports = 1; break;
		case 'b': bad |= cli_int(optarg, 1, MAXFRAMES, &burst); break;
		case 'S': bad |= cli_int(optarg, 0, 64, &nslow); break;
		case 'R': bad |= cli_int(optarg, 0, 1000000, &read_pause_us); break;
		case 'e': sse = 1; break;
		case 'F': path2 = optarg; break;
		case 'X': bad |= cli_int(optarg, 0, 3600000, &after_ms); break;
		default: return -1;
		}
	}
	nframes = nmsg * burst;
	if (explicit_ports && nclients / nsrc >= 25000)
		bad = 1; /* -E: 25 000 ports per source address at most */
	return !bad && port > 0 && nframes <= MAXFRAMES && pubcmd && strlen(path) < 256 &&
			       (!path2 || strlen(path2) < 256) && strlen(host) < 64 &&
			       (!origin || strlen(origin) < 128)
		       ? 0
		       : -1;
}

/* Open the clients that never read: a 4 KB receive buffer, the upgrade sent, nothing read. */
static void open_slow(int *fds)
{
	char req[1024];
	int reqlen = build_req(req, sizeof(req), path);

	for (int i = 0; i < nslow; i++)
		fds[i] = dial(i, req, (size_t)reqlen, 4096);
}

/* How many never-reading clients the server closed: drain each, looking for EOF or a reset. */
static int slow_closed(const int *fds)
{
	unsigned char buf[65536];
	int closed = 0;

	for (int i = 0; i < nslow; i++) {
		ssize_t r;

		if (fds[i] < 0)
			continue;
		/* what the server's kernel still holds comes as the window opens: up to 3 s */
		for (int waited = 0;;) {
			struct pollfd pfd = {fds[i], POLLIN, 0};

			while ((r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				;
			if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				closed++;
				break;
			}
			if ((waited += 100) > 3000)
				break;
			poll(&pfd, 1, 100);
		}
		close(fds[i]);
	}
	return closed;
}

/* p50, p99 and max of lat[0..n) (sorted here), printed; -1s when nobody got it. */
static void print_quantiles(double *lat, size_t n)
{
	qsort(lat, n, sizeof(double), cmp_d);
	printf(" %.2f %.2f %.2f", n ? lat[n / 2] : -1, n ? lat[(size_t)((double)n * 0.99)] : -1, n ? lat[n - 1] : -1);
}

/*
 * Per publish: p50, p99 and max over every client's latency for every joke of the
 * burst, by the user-side clock, then by the kernel's receive timestamps.
 */
static void report(struct stamp **all, const int *gotv, const double *pub, int open_total, double msg_bytes)
{
	double *lu = malloc(sizeof(double) * (size_t)nclients * (size_t)burst);
	double *lk = malloc(sizeof(double) * (size_t)nclients * (size_t)burst);

	printf("# clients=%d connected=%d first_publish_ms=%.0f read_pause_us=%d message_bytes=%.0f\n"
	       "# msg received user_p50_ms user_p99_ms user_all_ms kernel_p50_ms kernel_p99_ms kernel_all_ms\n",
	       nclients, open_total, pub[0], read_pause_us, msg_bytes);
	for (int m = 0; m < nmsg; m++) {
		size_t n = 0;
		int whole = 0;
		for (int i = 0; i < nclients; i++) {
			whole += gotv[i] >= (m + 1) * burst;
			for (int j = m * burst; j < (m + 1) * burst; j++)
				if (all[j][i].user >= 0) {
					lu[n] = all[j][i].user - pub[m];
					lk[n++] = all[j][i].kernel - pub[m];
				}
		}
		printf("%d %d", m + 1, whole);
		print_quantiles(lu, n);
		print_quantiles(lk, n);
		printf("\n");
	}
	free(lu);
	free(lk);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int nproc, ready[2], go[2], open_total = 0, slow[64];
	double pub[MAXMSG];
	FILE *publisher = NULL;

	if (opts(argc, argv)) {
		fprintf(stderr, "usage: wsload -p PORT -P PUBLISH_CMD [-K] [-H HOST] [-u PATH] [-n CLIENTS] "
				"[-m MESSAGES] [-s SOURCES] [-i INTERVAL_MS] [-O ORIGIN] [-w WAIT_S] [-W HOLD_S] [-E] [-b BURST] [-S SLOW] "
				"[-R READ_PAUSE_US] [-e] [-F PATH2] [-X AFTER_MS]\n");
		return 64;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	nproc = (nclients + PER_PROC - 1) / PER_PROC;
	int outs[64], counts[64];
	if (pipe(ready) || pipe(go) || nproc > 64)
		return 71;
	for (int k = 0, first = 0; k < nproc; k++) {
		int out[2];
		counts[k] = nclients / nproc + (k < nclients % nproc);
		if (pipe(out))
			return 71;
		if (fork() == 0) {
			close(out[0]);
			child(first, counts[k], ready[1], go[0], out[1]);
		}
		close(out[1]);
		outs[k] = out[0];
		first += counts[k];
	}
	if (kept && (publisher = popen(pubcmd, "w")) == NULL)
		return 71;
	for (int k = 0; k < nproc; k++) {
		int n = 0;
		(void)!read(ready[0], &n, sizeof(n));
		open_total += n;
	}
	open_slow(slow);
	fprintf(stderr, "wsload: %d/%d clients connected\n", open_total, nclients);
	sleep((unsigned)hold);
	for (int m = 0; m < nmsg; m++) {
		pub[m] = now_ms();
		if (publisher ? fprintf(publisher, "%d\n", m) < 0 || fflush(publisher) : system(pubcmd) != 0)
			fprintf(stderr, "wsload: publish command failed\n");
		usleep((useconds_t)interval * 1000);
	}
	if (publisher && pclose(publisher) != 0)
		fprintf(stderr, "wsload: the publisher failed\n");
	for (int k = 0; k < nproc; k++) {
		int w = waits * 1000;
		(void)!write(go[1], &w, sizeof(w));
	}
	/* gather: per joke, every client's arrival times (user -1: never) */
	struct stamp *rx = malloc(sizeof(*rx) * (size_t)nframes);
	int *gotv = malloc(sizeof(int) * (size_t)nclients);
	struct stamp **all = calloc((size_t)nframes, sizeof(*all));
	for (int j = 0; j < nframes; j++)
		all[j] = malloc(sizeof(**all) * (size_t)nclients);
	int idx = 0;
	double bytes = 0, msgs = 0;
	for (int k = 0; k < nproc; k++) {
		for (int i = 0; i < counts[k]; i++, idx++) {
			double b = 0;
			if (read(outs[k], &gotv[idx], sizeof(int)) != sizeof(int) ||
			    read(outs[k], &b, sizeof(b)) != sizeof(b))
				gotv[idx] = 0;
			bytes += b, msgs += gotv[idx];
			size_t want = sizeof(*rx) * (size_t)nframes, have = 0;
			while (have < want) {
				ssize_t r = read(outs[k], (char *)rx + have, want - have);
				if (r <= 0)
					break;
				have += (size_t)r;
			}
			for (int j = 0; j < nframes; j++)
				all[j][idx] = j < gotv[idx] ? rx[j] : (struct stamp){-1, -1};
		}
	}
	if (after_ms) {
		fprintf(stderr, "wsload: done reading\n");
		usleep((useconds_t)after_ms * 1000);
		for (int k = 0; k < nproc; k++) {
			int w = 0;
			(void)!write(go[1], &w, sizeof(w));
		}
	}
	while (wait(NULL) > 0)
		;
	report(all, gotv, pub, open_total, msgs ? bytes / msgs : 0);
	if (nslow)
		printf("# slow=%d closed_by_server=%d\n", nslow, slow_closed(slow));
	for (int j = 0; j < nframes; j++)
		free(all[j]);
	free(all);
	free(gotv);
	free(rx);
	return 0;
}
