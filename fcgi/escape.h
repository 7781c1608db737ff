/* escape.h - the one HTML/XML text escaper of jokes-fcgi, its inverse (tests) and URL encoding. */
#ifndef JOKES_FCGI_ESCAPE_H
#define JOKES_FCGI_ESCAPE_H

#include "buf.h"

#include <stddef.h>

/*
 * Append s[0..n) to b as text that is inert in HTML element content, in a quoted
 * HTML attribute and in XML 1.0 (Atom): & < > " ' become entities, and control
 * bytes that XML forbids (C0 except TAB LF CR, and DEL) become U+FFFD.
 * The input is expected to be UTF-8; other bytes pass through unchanged.
 */
void esc_html(struct buf *b, const char *s, size_t n);

/* esc_html of a NUL-terminated string. */
void esc_htmls(struct buf *b, const char *s);

/*
 * Inverse of esc_html for its five entities (for tests and the fuzz target).
 * Returns 0, or -1 on an '&' that starts none of them.
 */
int esc_unescape(struct buf *out, const char *s, size_t n);

/* Append s percent-encoded for a query-string value (unreserved bytes kept). */
void esc_url(struct buf *b, const char *s, size_t n);

#endif
