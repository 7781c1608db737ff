/* text.h - cleaning joke text from the APIs into the plain UTF-8 the contracts pin. */
#ifndef JOKES_CRON_TEXT_H
#define JOKES_CRON_TEXT_H

#include <stddef.h>

/*
 * The offset of the first byte of in[0..len) that does not start a valid UTF-8
 * sequence (overlong, surrogate, above U+10FFFF, cut short, stray continuation byte),
 * or len when it is all valid. NUL bytes count as valid here.
 */
size_t text_utf8_error(const char *in, size_t len);

/*
 * Clean one joke text (in: valid UTF-8, may hold NUL) into out[size]:
 *   1. HTML entities decoded once (&amp; &lt; &gt; &quot; &apos; &nbsp; &#N; &#xH;),
 *   2. control characters dropped, except '\n'; tab becomes a space, CR LF and lone CR
 *      become '\n'; DEL, the C1 controls and the noncharacters (U+FDD0..U+FDEF, U+FFFE,
 *      U+FFFF and their twins U+1FFFE .. U+10FFFF) are dropped,
 *   3. spaces at line ends removed, blank lines folded, the whole text trimmed.
 * Returns the length (1 .. size - 1), or -1 with a reason in err when the result is
 * empty, does not fit in size - 1 bytes, or is not valid UTF-8.
 */
int text_clean(const char *in, size_t len, char *out, size_t size, char *err, size_t errsize);

#endif
