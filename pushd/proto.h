/* proto.h - the lws protocols of a worker: "http" (plain requests: the event stream,
 * sse.h; anything else 404), "jokes"
 * (the WebSocket feed, the default for upgrades) and the raw descriptors (the
 * listener and the parent's command socket).
 */
#ifndef PUSHD_PROTO_H
#define PUSHD_PROTO_H

#include <libwebsockets.h>

#define PROTO_RAW "pushd-raw" /* protocol name to adopt the raw descriptors with */

extern const struct lws_protocols proto_protocols[];
extern const struct lws_protocol_vhost_options proto_pvo; /* makes "jokes" the default */

#endif
