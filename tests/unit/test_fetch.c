/*
 * test_fetch.c - jokes-fetch: text cleaning and UTF-8, the source parsers and their
 * categories, Retry-After, lists.
 */
#include "../../cron/category_map.h"
#include "../../cron/http.h"
#include "joke.h"
#include "log.h"
#include "../../cron/source.h"
#include "../../cron/text.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static int
clean_is(const char *in, size_t len, const char *want)
{
	char out[JOKE_TEXT_MAX + 1], err[64];
	int n = text_clean(in, len, out, sizeof(out), err, sizeof(err));

	if (want == NULL)
		return n < 0;
	if (n < 0 || strcmp(out, want) != 0) {
		printf("# got %s\n", n < 0 ? err : out);
		return 0;
	}
	return 1;
}

#define CLEAN(in, want) clean_is(in, sizeof(in) - 1, want)

static void
test_clean(void)
{
	char big[JOKE_TEXT_MAX + 2];

	CHECK(CLEAN("plain joke", "plain joke"));
	CHECK(CLEAN("  trimmed \n", "trimmed"));
	CHECK(CLEAN("&quot;q&quot; &amp; &lt;b&gt; &#39;s &#x27;t &apos;", "\"q\" & <b> 's 't '"));
	CHECK(CLEAN("&amp;amp; decoded once", "&amp; decoded once"));
	CHECK(CLEAN("&#128512; &#x1F600;", "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80"));
	CHECK(CLEAN("&#0; &#xD800; &#x110000; &bogus; &", "&#0; &#xD800; &#x110000; &bogus; &"));
	CHECK(CLEAN("&#10;kept&#9;tab", "kept tab"));
	CHECK(CLEAN("a\0b", "ab"));
	CHECK(CLEAN("a\tb\r\nc\rd\x07" "e\x7f", "a b\nc\nde"));
	CHECK(CLEAN("c1 \xc2\x85" "gone \xc2\xa0kept", "c1 gone \xc2\xa0kept"));
	CHECK(CLEAN("setup  \n\n\n  punch", "setup\n  punch"));
	CHECK(CLEAN("<script>alert(1)</script>", "<script>alert(1)</script>"));
	CHECK(CLEAN(" \n\t\r ", NULL));
	CHECK(CLEAN("", NULL));
	CHECK(CLEAN("&#1;&#2;", NULL));
	memset(big, 'x', sizeof(big));
	{
		char out[JOKE_TEXT_MAX + 1], err[64];
		CHECK(text_clean(big, JOKE_TEXT_MAX, out, sizeof(out), err, sizeof(err)) == JOKE_TEXT_MAX);
		CHECK(text_clean(big, JOKE_TEXT_MAX + 1, out, sizeof(out), err, sizeof(err)) < 0);
	}
}

static void
test_noncharacters(void)
{
	/* U+FFFE, U+FFFF (not XML 1.0 characters) and the other noncharacters are dropped */
	CHECK(CLEAN("a\xef\xbf\xbe" "b\xef\xbf\xbf" "c", "abc"));
	CHECK(CLEAN("a\xef\xb7\x90" "b\xef\xb7\xaf" "c", "abc"));		 /* U+FDD0, U+FDEF */
	CHECK(CLEAN("a\xf0\x9f\xbf\xbe" "b\xf4\x8f\xbf\xbf" "c", "abc")); /* U+1FFFE, U+10FFFF */
	CHECK(CLEAN("a\xf3\xbf\xbf\xbe" "b", "ab"));			 /* U+FFFFE */
	CHECK(CLEAN("&#xFFFE;x&#65535;y&#xfdd0;", "xy"));			 /* from entities */
	CHECK(CLEAN("\xef\xbf\xbe \xef\xbf\xbf", NULL));			 /* nothing left */
	/* their neighbours are characters and stay */
	CHECK(CLEAN("\xef\xbf\xbd\xef\xb7\x8f\xef\xb7\xb0\xef\xbf\xbc",
		    "\xef\xbf\xbd\xef\xb7\x8f\xef\xb7\xb0\xef\xbf\xbc"));	 /* FFFD FDCF FDF0 FFFC */
	CHECK(CLEAN("\xf0\x9f\xbf\xbd\xf0\x9f\x98\x80\xf4\x8f\xbf\xbd",
		    "\xf0\x9f\xbf\xbd\xf0\x9f\x98\x80\xf4\x8f\xbf\xbd"));	 /* 1FFFD 1F600 10FFFD */
	CHECK(CLEAN("\xe2\xbf\xbe\xee\xbf\xbf", "\xe2\xbf\xbe\xee\xbf\xbf")); /* U+2FFE, U+EFFF */
}

static void
test_utf8_error(void)
{
	CHECK(text_utf8_error("ok \xc3\xa9", 5) == 5);
	CHECK(text_utf8_error("nul\0ok", 6) == 6);
	CHECK(text_utf8_error("A\xff" "B", 3) == 1);
	CHECK(text_utf8_error("ab\xc3", 3) == 2);		/* cut short */
	CHECK(text_utf8_error("\xed\xa0\x80", 3) == 0);	/* a surrogate */
	CHECK(text_utf8_error("x\xc0\xaf", 3) == 1);		/* overlong */
	CHECK(text_utf8_error("\xf4\x90\x80\x80", 4) == 0); /* above U+10FFFF */
	CHECK(text_utf8_error("\x80", 1) == 0);		/* stray continuation byte */
	CHECK(text_utf8_error("\xef\xbf\xbe", 3) == 3);	/* U+FFFE is valid UTF-8 */
}

static int
parse_ok(source_parse_fn fn, const char *body, const char *id, const char *text)
{
	struct joke j;
	char err[128];

	if (fn(body, strlen(body), &j, err, sizeof(err)) < 0) {
		printf("# refused: %s\n", err);
		return 0;
	}
	if (strcmp(j.source_id, id) != 0 || strcmp(j.text, text) != 0) {
		printf("# got id %s text %s\n", j.source_id, j.text);
		return 0;
	}
	return 1;
}

static int
parse_refused(source_parse_fn fn, const char *body, size_t len)
{
	struct joke j;
	char err[128];

	return fn(body, len, &j, err, sizeof(err)) < 0 && err[0] != '\0';
}

#define REFUSED(fn, s) parse_refused(fn, s, sizeof(s) - 1)

static void
test_chucknorris(void)
{
	source_parse_fn f = source_parse_chucknorris;

	CHECK(parse_ok(f, "{\"id\":\"abc-_1\",\"value\":\"Chuck &quot;counts&quot; to infinity.\","
			  "\"categories\":[]}", "abc-_1", "Chuck \"counts\" to infinity."));
	CHECK(REFUSED(f, "<html>no</html>"));
	CHECK(REFUSED(f, "{\"id\":\"a\",\"value\":\"cut"));
	CHECK(REFUSED(f, "[{\"id\":\"a\",\"value\":\"x\"}]"));
	CHECK(REFUSED(f, "{\"id\":\"a\",\"value\":42}"));
	CHECK(REFUSED(f, "{\"value\":\"no id\"}"));
	CHECK(REFUSED(f, "{\"id\":\"has space\",\"value\":\"x\"}"));
	CHECK(REFUSED(f, "{\"id\":\"a\",\"value\":\"   \"}"));
	CHECK(REFUSED(f, "{\"id\":\"a\",\"id\":\"b\",\"value\":\"dup keys\"}"));
	CHECK(REFUSED(f, ""));
	CHECK(parse_ok(f, "{\"id\":\"n\",\"value\":\"nul\\u0000gone\"}", "n", "nulgone"));
	/* not valid UTF-8: refused, never repaired to U+FFFD (raw bytes or \\u escapes) */
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"A\xff" "B\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"A\xc3\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"\xed\xb2\x80\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"\xc0\xaf\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"lone \\udc80 low\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"lone \\ud83d high\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"swapped \\ude00\\ud83d\"}"));
	CHECK(REFUSED(f, "{\"id\":\"u\",\"value\":\"ok\"}\xff"));
	CHECK(parse_ok(f, "{\"id\":\"p\",\"value\":\"pair \\ud83d\\ude00\"}", "p",
		       "pair \xf0\x9f\x98\x80"));
	{
		struct joke j;
		char err[128] = "";
		const char body[] = "{\"id\":\"u\",\"value\":\"A\xff" "B\"}";
		CHECK(source_parse_chucknorris(body, sizeof(body) - 1, &j, err, sizeof(err)) < 0 &&
		      strstr(err, "not valid UTF-8 (byte 20)") != NULL);
	}
	/* noncharacters from \\u escapes, raw bytes and entities are dropped */
	CHECK(parse_ok(f, "{\"id\":\"n\",\"value\":\"a\\uFFFEb\\uffffc\\ufdd0d\"}", "n", "abcd"));
	CHECK(parse_ok(f, "{\"id\":\"n\",\"value\":\"a\\ud83f\\udffeb\"}", "n", "ab"));
	CHECK(parse_ok(f, "{\"id\":\"n\",\"value\":\"a\xef\xbf\xbe" "b&#xFFFF;c\"}", "n", "abc"));
}

static void
test_others(void)
{
	CHECK(parse_ok(source_parse_icanhazdadjoke,
		       "{\"id\":\"R7Uf\",\"joke\":\"Dad joke.\",\"status\":200}", "R7Uf", "Dad joke."));
	CHECK(REFUSED(source_parse_icanhazdadjoke, "{\"id\":\"R7Uf\",\"joke\":\"x\",\"status\":404}"));
	CHECK(parse_ok(source_parse_jokeapi,
		       "{\"error\":false,\"type\":\"single\",\"joke\":\"One.\",\"id\":7}", "7", "One."));
	CHECK(parse_ok(source_parse_jokeapi,
		       "{\"error\":false,\"type\":\"twopart\",\"setup\":\"Why?\",\"delivery\":\"Because.\","
		       "\"id\":8}", "8", "Why?\nBecause."));
	CHECK(REFUSED(source_parse_jokeapi,
		      "{\"error\":true,\"internalError\":false,\"code\":106,\"message\":\"No matching joke\"}"));
	CHECK(REFUSED(source_parse_jokeapi, "{\"error\":false,\"type\":\"threepart\",\"id\":1}"));
	CHECK(REFUSED(source_parse_jokeapi, "{\"error\":false,\"type\":\"twopart\",\"setup\":\"s\",\"id\":1}"));
	CHECK(REFUSED(source_parse_jokeapi, "{\"type\":\"single\",\"joke\":\"no error key\",\"id\":1}"));
	CHECK(parse_ok(source_parse_official,
		       "{\"type\":\"general\",\"setup\":\"Knock knock.\",\"punchline\":\"Who?\",\"id\":12}",
		       "12", "Knock knock.\nWho?"));
	CHECK(REFUSED(source_parse_official, "{\"setup\":\"only a setup\",\"id\":1}"));
	CHECK(REFUSED(source_parse_official, "{\"setup\":\"s\",\"punchline\":\"p\",\"id\":-1}"));
}

/* The category parse gives body (strlen) with parser fn, or "refused" / "explicit". */
static const char *
category_of(source_parse_fn fn, const char *body)
{
	static struct joke j;
	char err[128];
	int rc = fn(body, strlen(body), &j, err, sizeof(err));

	return rc < 0 ? "refused" : rc == SOURCE_EXPLICIT ? "explicit" : j.category;
}

#define CATEGORY_IS(fn, body, want) (strcmp(category_of(fn, body), want) == 0)

static void
test_category_map(void)
{
	CHECK(strcmp(category_map("jokeapi", "Programming", 11), "programming") == 0);
	CHECK(strcmp(category_map("jokeapi", "Programmingx", 11), "programming") == 0); /* len */
	CHECK(strcmp(category_map("jokeapi", "Dark", 4), "misc") == 0);
	CHECK(strcmp(category_map("jokeapi", NULL, 0), "misc") == 0);
	CHECK(strcmp(category_map("official", "knock-knock", 11), "knock-knock") == 0);
	CHECK(strcmp(category_map("official", "dev", 3), "misc") == 0); /* chucknorris's value */
	CHECK(strcmp(category_map("chucknorris", "dev", 3), "programming") == 0);
	CHECK(strcmp(category_map("chucknorris", "food", 4), "chuck") == 0);
	CHECK(strcmp(category_map("chucknorris", NULL, 0), "chuck") == 0);
	CHECK(strcmp(category_map("icanhazdadjoke", NULL, 0), "dad") == 0);
	CHECK(strcmp(category_map("bundled", "pun", 3), "misc") == 0); /* not a table source */
	CHECK(category_map_known("chucknorris", "dev", 3) && !category_map_known("chucknorris", "food", 4));
}

static void
test_categories(void)
{
	source_parse_fn cn = source_parse_chucknorris, ja = source_parse_jokeapi;

	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[]}", "chuck"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[\"dev\"]}", "programming"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[\"food\",\"dev\"]}",
			  "programming"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":\"dev\"}", "misc"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[\"dev\",7]}", "misc"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[\"d\\u0000v\"]}", "misc"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\"}", "chuck"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[\"explicit\"]}", "explicit"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"x\",\"categories\":[{},\"explicit\"]}",
			  "explicit"));
	CHECK(CATEGORY_IS(cn, "{\"id\":\"a\",\"value\":\"  \",\"categories\":[\"explicit\"]}",
			  "refused")); /* a bad answer stays a bad answer */
#define JA(members) "{\"error\":false,\"type\":\"single\",\"joke\":\"j\",\"id\":1," members "}"
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"category\":\"Pun\""), "pun"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"category\":\"Christmas\""), "christmas"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"category\":42"), "misc"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"category\":\"0123456789012345678901234567890123\""),
			  "misc"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"flags\":{\"explicit\":false}"), "misc"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":false,\"category\":\"Pun\""), "explicit"));
	CHECK(CATEGORY_IS(ja, JA("\"category\":\"Pun\""), "explicit"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"flags\":{\"explicit\":true}"), "explicit"));
	CHECK(CATEGORY_IS(ja, JA("\"safe\":true,\"flags\":{\"explicit\":null}"), "explicit"));
#undef JA
	CHECK(CATEGORY_IS(source_parse_official,
			  "{\"type\":\"dad\",\"setup\":\"s\",\"punchline\":\"p\",\"id\":1}", "dad"));
	CHECK(CATEGORY_IS(source_parse_official,
			  "{\"type\":[\"dad\"],\"setup\":\"s\",\"punchline\":\"p\",\"id\":1}", "misc"));
	CHECK(CATEGORY_IS(source_parse_icanhazdadjoke, "{\"id\":\"d\",\"joke\":\"j\",\"status\":200}",
			  "dad"));
}

static void
test_retry_after(void)
{
	time_t now = 1000000000;

	CHECK(http_retry_after(" 120\r\n", now) == now + 120);
	CHECK(http_retry_after("0", now) == now);
	CHECK(http_retry_after("99999999999999999999", now) == now + 24 * 3600);
	CHECK(http_retry_after("12abc", now) == 0);
	CHECK(http_retry_after("Sun, 09 Sep 2001 01:48:40 GMT", now) == now + 120);
	CHECK(http_retry_after("Sat, 01 Jan 2000 00:00:00 GMT", now) == now);
	CHECK(http_retry_after("garbage", now) == 0);
}

static void
test_lists(void)
{
	const struct source *order[SOURCE_MAX];

	CHECK(source_parse_list("chucknorris, icanhazdadjoke,jokeapi official ,bundled", order) == 5);
	CHECK(order[0] == source_find("chucknorris") && order[4] == source_find("bundled"));
	CHECK(source_parse_list("bundled", order) == 1);
	CHECK(source_parse_list("icndb", order) < 0);
	CHECK(source_parse_list("bundled, bundled", order) < 0);
	CHECK(source_parse_list(" , ", order) < 0);
	CHECK(source_find("official")->min_interval_secs >= 36); /* 100 requests per hour */
}

int
main(void)
{
	log_init("test_fetch", LOG_LEVEL_ERROR);
	test_clean();
	test_noncharacters();
	test_utf8_error();
	test_chucknorris();
	test_others();
	test_category_map();
	test_categories();
	test_retry_after();
	test_lists();
	return unit_done();
}
