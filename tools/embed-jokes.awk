# embed-jokes.awk - turn cron/bundled-jokes.txt into a C array.
# Input: one joke per line, "\n" (backslash n) between setup and punchline,
# "#" comment lines and blank lines ignored. Other backslashes are refused.
BEGIN {
	print "/* Generated from cron/bundled-jokes.txt by tools/embed-jokes.awk. */"
	print "#include <stddef.h>"
	print "const char *const bundled_jokes[] = {"
	n = 0
}
/^#/ || /^[ \t]*$/ { next }
{
	line = $0
	probe = line
	gsub(/\\n/, "", probe)
	if (index(probe, "\\") > 0) {
		printf("%s:%d: backslash other than \\n\n", FILENAME, NR) > "/dev/stderr"
		exit 1
	}
	gsub(/"/, "\\\"", line)
	printf("\t\"%s\",\n", line)
	n++
}
END {
	print "};"
	printf("const size_t bundled_jokes_count = %d;\n", n)
}
