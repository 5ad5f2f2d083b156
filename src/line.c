// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "line.h"

void line_put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->size - l->len) {
		l->err = -ENOSPC;
		return;
	}
	l->len += n;
}
