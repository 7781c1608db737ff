/* bundled_dump.c - test fixture tool: jokes-fetch's compiled bundled collection as SQL.
 *
 *   bundled_dump     one "INSERT INTO collection VALUES (index, category, text_key, text);"
 *                    per joke, the text cleaned and keyed exactly as jokes-fetch stores it
 *                    (cron/bundled.c, lib/joke.c), for a CREATE TABLE collection(…) made first
 */
#include "../../cron/bundled.h"
#include "joke.h"
#include "log.h"

#include <stdio.h>

/* s as an SQL string literal: ' doubled, a newline as ' || char(10) || ' */
static void
put_sql_string(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", stdout);
		else if (*s == '\n')
			fputs("' || char(10) || '", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

int
main(void)
{
	char text[JOKE_TEXT_MAX + 1], key[JOKE_TEXT_MAX + 1];

	log_init("bundled_dump", LOG_LEVEL_WARN);
	for (size_t i = 0; i < bundled_count(); i++) {
		if (bundled_text(i, text, sizeof(text)) < 0)
			return 1;
		joke_text_key(text, key, sizeof(key));
		printf("INSERT INTO collection VALUES (%zu, '%s', ", i, bundled_jokes[i].category);
		put_sql_string(key);
		fputs(", ", stdout);
		put_sql_string(text);
		fputs(");\n", stdout);
	}
	return 0;
}
