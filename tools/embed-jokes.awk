# embed-jokes.awk - turn cron/bundled-jokes.txt into a C array of {category, text}.
#   awk -f tools/embed-jokes.awk lib/category.c cron/bundled-jokes.txt > bundled_jokes.c
# The first file gives the vocabulary: the quoted names of lib/category.c's names[] table.
# Input: one joke per line, CATEGORY<TAB>TEXT, CATEGORY one of those names; "\n" (backslash
# n) between setup and punchline; "#" comment lines and blank lines ignored. A line without
# a known category, an empty text, another tab or another backslash fails, naming the line.
function fail(why) {
	printf("%s:%d: %s\n", FILENAME, FNR, why) > "/dev/stderr"
	failed = 1
	exit 1
}
FNR == NR {
	if ($0 ~ /names\[CATEGORY_COUNT\] = \{/)
		in_names = 1
	else if (in_names && $0 ~ /^};/)
		in_names = 0
	else if (in_names) {
		rest = $0
		while (match(rest, /"[a-z-]+"/)) {
			name = substr(rest, RSTART + 1, RLENGTH - 2)
			known[name] = 1
			known_list = known_list (nknown++ ? ", " : "") name
			rest = substr(rest, RSTART + RLENGTH)
		}
	}
	next
}
FNR == 1 {
	if (nknown == 0) {
		printf("tools/embed-jokes.awk: no category names found in the first file\n") > "/dev/stderr"
		failed = 1
		exit 1
	}
	print "/* Generated from cron/bundled-jokes.txt by tools/embed-jokes.awk. */"
	print "#include \"bundled.h\""
	print "const struct bundled_joke bundled_jokes[] = {"
}
/^#/ || /^[ \t]*$/ { next }
{
	tab = index($0, "\t")
	if (tab == 0)
		fail("no category: a joke is CATEGORY<TAB>TEXT (known: " known_list ")")
	category = substr($0, 1, tab - 1)
	text = substr($0, tab + 1)
	if (!(category in known))
		fail("unknown category \"" category "\" (known: " known_list ")")
	if (text ~ /^[ \t]*$/)
		fail("no joke after the category")
	if (index(text, "\t") > 0)
		fail("a tab in the joke (one tab ends the category)")
	probe = text
	gsub(/\\n/, "", probe)
	if (index(probe, "\\") > 0)
		fail("backslash other than \\n")
	gsub(/"/, "\\\"", text)
	gsub(/\?/, "\\?", text) # no trigraphs
	printf("\t{\"%s\", \"%s\"},\n", category, text)
	n++
}
END {
	if (failed)
		exit 1
	if (n == 0) {
		printf("%s: no jokes\n", FILENAME) > "/dev/stderr"
		exit 1
	}
	print "};"
	printf("const size_t bundled_jokes_count = %d;\n", n)
}
