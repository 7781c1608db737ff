/* ws_ideal.c - the physical-limit reference of bench_pushd.sh: a WebSocket fan-out with
 * nothing but epoll and, per joke, one prebuilt frame written with one write() per client.
 *
 * usage: ws_ideal -p PORT -N NOTIFY_PATH [-a ADDR] [-w WORKERS]
 * The parent listens on the Unix stream socket NOTIFY_PATH for notify lines (what
 * jokes-fetch and pushd-dbput send jokes-pushd: one JSON line per connection) and relays
 * each line to its WORKERS children (default 2) over a SOCK_SEQPACKET pair. Each child
 * has its own SO_REUSEPORT listener on ADDR:PORT (default 127.0.0.1) and its own epoll;
 * it answers a WebSocket upgrade (GET, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a 24-character key; anything else, or a header over 4 KB,
 * gets 400), discards what clients send (pongs), never pings, and on each relayed line
 * writes the text frame carrying that line to every client with ONE write(). A write the
 * socket does not take whole closes that client: the reference never buffers (counted).
 * SIGTERM: each child prints its counts on stderr; the parent removes NOTIFY_PATH.
 */
#include "cli.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEADER_MAX 4096 /* an upgrade request larger than this gets 400 */
#define NOTIFY_MAX 16384 /* a notify line, as NOTIFY_LINE_MAX in lib/joke.h */
#define WORKERS_MAX 64
#define RELAY_TAG -1 /* epoll data of the relay socket; the listener's is -2 */
#define LISTEN_TAG -2

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct client {	  /* indexed by descriptor */
	char *hs;	  /* the upgrade request read so far (NULL: past the handshake) */
	size_t hlen;
	int pos;	  /* index in worker.open, or -1 */
};

struct worker {
	int lfd, relay, ep, cap; /* cap: descriptors this process may hold */
	struct client *c;
	int *open, nopen; /* descriptors of clients past the handshake */
	long accepted, refused, jokes, frames, short_writes;
};


static void drop(struct worker *w, int fd)
{
	int i = w->c[fd].pos;

	if (i >= 0) { /* swap the last open client into its place */
		w->open[i] = w->open[--w->nopen];
		w->c[w->open[i]].pos = i;
	}
	free(w->c[fd].hs);
	w->c[fd] = (struct client){NULL, 0, -1};
	close(fd); /* also leaves the epoll set */
}

/* The value of header name (case-insensitive) in the lines of req, trimmed, or NULL. */
static const char *header(char *req, const char *name, char *val, size_t size)
{
	size_t nlen = strlen(name);

	for (char *l = strstr(req, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
		char *s = l + 2, *e = strstr(s, "\r\n");
		if (e == NULL || (size_t)(e - s) <= nlen || s[nlen] != ':' || strncasecmp(s, name, nlen))
			continue;
		for (s += nlen + 1; *s == ' ' || *s == '\t'; s++)
			;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) >= size)
			return NULL;
		memcpy(val, s, (size_t)(e - s));
		val[e - s] = '\0';
		return val;
	}
	return NULL;
}

/* Check the upgrade request (NUL-terminated, ends with an empty line); 0 with the answer in out. */
static int upgrade(char *req, char *out, size_t size)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char v[64], kg[24 + sizeof(guid)], *eol = strstr(req, "\r\n");
	unsigned char md[SHA_DIGEST_LENGTH], acc[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
	size_t plen;

	if (strncmp(req, "GET /", 5) || eol - req < 14 || memcmp(eol - 9, " HTTP/1.1", 9))
		return -1;
	plen = (size_t)(eol - 9 - (req + 4));
	if (memchr(req + 4, ' ', plen))
		return -1;
	if (!header(req, "upgrade", v, sizeof(v)) || strcasecmp(v, "websocket") ||
	    !header(req, "connection", v, sizeof(v)) || !strcasestr(v, "upgrade") ||
	    !header(req, "sec-websocket-version", v, sizeof(v)) || strcmp(v, "13") ||
	    !header(req, "sec-websocket-key", v, sizeof(v)) || strlen(v) != 24 ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != 24)
		return -1;
	memcpy(kg, v, 24);
	memcpy(kg + 24, guid, sizeof(guid) - 1);
	SHA1((const unsigned char *)kg, 24 + sizeof(guid) - 1, md);
	EVP_EncodeBlock(acc, md, SHA_DIGEST_LENGTH);
	snprintf(out, size,
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Accept: %s\r\n\r\n",
		 (const char *)acc);
	return 0;
}

/* Read from a client still in its handshake; answer 101 or 400 once the header is whole. */
static void handshake(struct worker *w, int fd)
{
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	struct client *c = &w->c[fd];
	char *req = c->hs, ans[256];
	ssize_t r = read(fd, req + c->hlen, HEADER_MAX - c->hlen);

	if (r <= 0) {
		drop(w, fd);
		return;
	}
	c->hlen += (size_t)r;
	req[c->hlen] = '\0';
	char *end = strstr(req, "\r\n\r\n");
	if (end == NULL && c->hlen < HEADER_MAX)
		return;
	if (end == NULL || memchr(req, '\0', c->hlen) || (end[2] = '\0', upgrade(req, ans, sizeof(ans)))) {
		(void)!write(fd, bad, sizeof(bad) - 1);
		w->refused++;
		drop(w, fd);
		return;
	}
	size_t alen = strlen(ans);
	if (write(fd, ans, alen) != (ssize_t)alen) {
		drop(w, fd);
		return;
	}
	free(c->hs);
	c->hs = NULL;
	c->pos = w->nopen;
	w->open[w->nopen++] = fd;
	w->accepted++;
}

/* One relayed line: build its text frame once, write it to every open client once. */
static void publish(struct worker *w, const unsigned char *line, size_t len)
{
	static unsigned char frame[4 + NOTIFY_MAX];
	size_t h = len < 126 ? 2 : 4;

	frame[0] = 0x81; /* FIN, text */
	frame[1] = (unsigned char)(len < 126 ? len : 126);
	if (h == 4) {
		frame[2] = (unsigned char)(len >> 8);
		frame[3] = (unsigned char)len;
	}
	memcpy(frame + h, line, len);
	w->jokes++;
	for (int i = 0; i < w->nopen;) {
		int fd = w->open[i];
		w->frames++;
		if (write(fd, frame, h + len) == (ssize_t)(h + len)) {
			i++;
			continue;
		}
		w->short_writes++;
		drop(w, fd); /* moves the last client to i */
	}
}

static void accept_all(struct worker *w)
{
	for (int fd; (fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		if (fd >= w->cap || (w->c[fd].hs = malloc(HEADER_MAX + 1)) == NULL) {
			close(fd);
			continue;
		}
		epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* A child: serve its listener until the parent closes the relay (or SIGTERM). */
static int worker_run(struct worker *w, int id)
{
	static unsigned char buf[NOTIFY_MAX + 1];
	struct epoll_event evs[1024], ev = {.events = EPOLLIN, .data.fd = LISTEN_TAG};

	SHA1(buf, 0, buf); /* libcrypto sets itself up (~3 MB) at first use: not per connection */
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->c = calloc((size_t)w->cap, sizeof(*w->c));
	w->open = calloc((size_t)w->cap, sizeof(*w->open));
	if (w->ep < 0 || !w->c || !w->open)
		return 71;
	for (int fd = 0; fd < w->cap; fd++)
		w->c[fd].pos = -1;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev);
	ev.data.fd = RELAY_TAG;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->relay, &ev);
	while (!stopping) {
		int n = epoll_wait(w->ep, evs, 1024, -1);
		for (int k = 0; k < n; k++) {
			int fd = evs[k].data.fd;
			if (fd == LISTEN_TAG) {
				accept_all(w);
			} else if (fd == RELAY_TAG) {
				ssize_t r = recv(w->relay, buf, sizeof(buf), 0);
				if (r <= 0)
					stopping = 1;
				else
					publish(w, buf, (size_t)r);
			} else if (w->c[fd].hs) {
				handshake(w, fd);
			} else if (read(fd, buf, sizeof(buf)) <= 0) { /* pongs and closes: discarded */
				drop(w, fd);
			}
		}
	}
	fprintf(stderr, "ws_ideal: worker %d: accepted=%ld refused=%ld open=%d jokes=%ld frames=%ld short_writes=%ld\n",
		id, w->accepted, w->refused, w->nopen, w->jokes, w->frames, w->short_writes);
	return 0;
}

static int listen_tcp(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("ws_ideal: listen");
		exit(71);
	}
	return fd;
}

/* One notify connection: read its lines (each at most NOTIFY_MAX) and relay them to every child. */
static void relay_notify(int fd, const int *relay, int nworkers)
{
	static char buf[NOTIFY_MAX + 1];
	struct timeval tv = {1, 0};
	size_t have = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((r = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		char *p = buf, *nl;
		have += (size_t)r;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf))) != NULL) {
			for (int k = 0; nl > p && k < nworkers; k++)
				(void)!send(relay[k], p, (size_t)(nl - p), MSG_NOSIGNAL);
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == sizeof(buf)) {
			fprintf(stderr, "ws_ideal: notify line over %d bytes: dropped\n", NOTIFY_MAX);
			break;
		}
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *npath = NULL;
	int port = 0, nworkers = 2, bad = 0, relay[WORKERS_MAX], lfd[WORKERS_MAX], nfd;
	pid_t pids[WORKERS_MAX];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	/* no SA_RESTART: accept() returns EINTR (and times out every second to look at stopping) */
	struct sigaction sa = {.sa_handler = on_signal};
	struct rlimit rl;

	for (int o; (o = getopt(argc, argv, "p:N:a:w:")) != -1;) {
		switch (o) {
		case 'p': bad |= cli_int(optarg, 1, 65535, &port); break;
		case 'N': npath = optarg; break;
		case 'a': addr = optarg; break;
		case 'w': bad |= cli_int(optarg, 1, WORKERS_MAX, &nworkers); break;
		default: bad = 1;
		}
	}
	if (bad || !port || !npath || strlen(npath) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: ws_ideal -p PORT -N NOTIFY_PATH [-a ADDR] [-w WORKERS]\n");
		return 64;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	memcpy(sun.sun_path, npath, strlen(npath) + 1);
	unlink(npath);
	if ((nfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(nfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(nfd, 64) ||
	    setsockopt(nfd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){1, 0}, sizeof(struct timeval))) {
		perror("ws_ideal: notify socket");
		return 71;
	}
	for (int k = 0; k < nworkers; k++) {
		int sp[2];
		lfd[k] = listen_tcp(addr, port);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) || (pids[k] = fork()) < 0)
			return 71;
		if (pids[k] == 0) {
			struct worker w = {.lfd = lfd[k], .relay = sp[1],
					   .cap = rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur};
			close(nfd);
			close(sp[0]);
			for (int j = 0; j < k; j++)
				close(relay[j]);
			_exit(worker_run(&w, k));
		}
		close(sp[1]);
		close(lfd[k]);
		relay[k] = sp[0];
	}
	while (!stopping) {
		int fd = accept4(nfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			relay_notify(fd, relay, nworkers);
	}
	for (int k = 0; k < nworkers; k++)
		close(relay[k]); /* each child sees the end of its relay, prints its counts and exits */
	for (int k = 0; k < nworkers; k++)
		waitpid(pids[k], NULL, 0);
	unlink(npath);
	return 0;
}
