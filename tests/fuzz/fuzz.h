/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the libFuzzer harnesses: a broken invariant is a crash (so that
 * libFuzzer saves the input), and the checks every key=value formatter of
 * src/ must pass whatever it is given.
 */
#ifndef EVLAT_FUZZ_H
#define EVLAT_FUZZ_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Say which promise broke, then crash: libFuzzer saves the input as crash-<sha1>. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

/* A formatter of src/: writes one line for @obj into @buf, returns its length or -errno. */
typedef int (*fuzz_fmt_fn)(const void *obj, char *buf, size_t size);

/*
 * Format @obj into a @full-byte buffer: it must fit (callers size it as src/
 * does), the length returned must be the string's, and no NULL may have gone
 * to a "%s" (glibc prints "(null)"; any other libc may crash). Then again into
 * exact-size heap buffers one byte too small, half as large and of one byte,
 * so that ASan sees any write past the end: each must say -ENOSPC and leave a
 * terminated string. Returns the full length.
 */
static inline int fuzz_check_line(fuzz_fmt_fn fmt, const void *obj, size_t full)
{
	char *buf = malloc(full);
	size_t small[3];
	int n;

	FUZZ_CHECK(buf);
	n = fmt(obj, buf, full);
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK((size_t)n == strlen(buf));
	FUZZ_CHECK(!strstr(buf, "(null)"));
	free(buf);
	small[0] = n;
	small[1] = n / 2;
	small[2] = 1;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		if (!small[i] || small[i] > (size_t)n)
			continue;
		buf = malloc(small[i]);
		FUZZ_CHECK(buf);
		FUZZ_CHECK(fmt(obj, buf, small[i]) == -ENOSPC);
		FUZZ_CHECK(memchr(buf, '\0', small[i]));
		free(buf);
	}
	return n;
}

#endif
