/* origin.h - the WebSocket upgrade's Origin check (cross-site WebSocket hijacking). */
#ifndef PUSHD_ORIGIN_H
#define PUSHD_ORIGIN_H

enum origin_verdict { ORIGIN_OK = 0, ORIGIN_MISSING, ORIGIN_MISMATCH };

/*
 * origin: the Origin header or NULL; host: the Host header or NULL.
 * Accepted when the origin's host[:port] equals host (case-insensitive), or
 * when allowed (comma separated; "*" or a full origin "https://a.example" or
 * a bare "a.example:8443") lists it. A missing or empty Origin is
 * ORIGIN_MISSING unless allow_missing.
 */
enum origin_verdict origin_check(const char *origin, const char *host, const char *allowed,
				 int allow_missing);

#endif
