/* fuzz_source_jokeapi.c - libFuzzer target: the jokeapi answer parser of jokes-fetch. */
#include "fetch_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fetch_fuzz_one(source_parse_jokeapi, "jokeapi", data, size);
}
