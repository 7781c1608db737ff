/* fuzz_source_icanhazdadjoke.c - libFuzzer target: the icanhazdadjoke answer parser of jokes-fetch. */
#include "fetch_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fetch_fuzz_one(source_parse_icanhazdadjoke, "icanhazdadjoke", data, size);
}
