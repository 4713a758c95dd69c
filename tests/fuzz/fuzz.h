/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_<name>.c). Each target defines
 * LLVMFuzzerTestOneInput and checks its invariants with FUZZ_CHECK, which aborts: libFuzzer
 * then saves the input as a crash, and the regression run (standalone.c) fails.
 */
#ifndef SK_FUZZ_H
#define SK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                        \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                \
			fputc('\n', stderr);                                                         \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

#endif
