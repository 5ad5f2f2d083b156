// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: arbitrary bytes as a ring-buffer record. record_check() and
 * record_format() get the input as it is (any size: -EMSGSIZE unless 72
 * bytes), then its first 72 bytes as a record of the right size, so that most
 * inputs reach the formatter. Formatting must fit the 512 bytes main.c's
 * --records gives it (it prints nothing otherwise), return the string's
 * length, pass no NULL to "%s", and say -ENOSPC in anything smaller.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evlat_record.h"
#include "fuzz.h"
#include "record_fmt.h"

#define LINE_SIZE 512 /* main.c, --records */

static int fmt_record(const void *r, char *buf, size_t size)
{
	return record_format(r, sizeof(struct evlat_record), buf, size);
}

static void fuzz_one(const unsigned char *buf, size_t len)
{
	char line[LINE_SIZE];
	int err = record_check(buf, len);

	FUZZ_CHECK(err == 0 || err == -EMSGSIZE || err == -EPROTO);
	FUZZ_CHECK(len == sizeof(struct evlat_record) || err == -EMSGSIZE);
	if (err) {
		FUZZ_CHECK(record_format(buf, len, line, sizeof(line)) == err);
		return;
	}
	fuzz_check_line(fmt_record, buf, LINE_SIZE);
	FUZZ_CHECK(record_format(buf, len, line, sizeof(line)) > 0);
	FUZZ_CHECK(!strncmp(line, "ktime=", 6));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size heap copies, 8-byte aligned as the ring buffer's records are */
	unsigned char *buf = malloc(size ? size : 1);

	FUZZ_CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	fuzz_one(buf, size);
	free(buf);
	if (size > sizeof(struct evlat_record)) {
		buf = malloc(sizeof(struct evlat_record));
		FUZZ_CHECK(buf);
		memcpy(buf, data, sizeof(struct evlat_record));
		fuzz_one(buf, sizeof(struct evlat_record));
		free(buf);
	}
	return 0;
}
