/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Building one text line in a caller's buffer, remembering the first overflow. */
#ifndef EVLAT_LINE_H
#define EVLAT_LINE_H

#include <stddef.h>

struct line {
	char *buf;
	size_t size;
	size_t len;
	int err; /* -ENOSPC once something did not fit; later puts do nothing */
};

void line_put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
