/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One ring-buffer record -> one key=value line. */
#ifndef EVLAT_RECORD_FMT_H
#define EVLAT_RECORD_FMT_H

#include <stddef.h>

/*
 * Check that @data/@len is a well-formed struct evlat_record.
 * Returns 0, -EMSGSIZE for a wrong size or -EPROTO for an unknown kind.
 */
int record_check(const void *data, size_t len);

/*
 * Write one line (no newline) describing the record into @buf.
 * Returns the length written, or a negative errno from record_check()
 * or -ENOSPC when @buf is too small.
 */
int record_format(const void *data, size_t len, char *buf, size_t size);

#endif
