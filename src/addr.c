// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static const __u8 v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

bool addr_is_v4mapped(const __u8 a[16])
{
	return !memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix));
}

void addr_map_v4(__u8 a[16])
{
	memmove(a + 12, a, 4);
	memcpy(a, v4mapped_prefix, sizeof(v4mapped_prefix));
}

void addr_unmap_v4(__u8 a[16])
{
	memmove(a, a + 12, 4);
	memset(a + 4, 0, 12);
}

int addr_norm(int family, const __u8 *src, __u8 dst[16])
{
	memset(dst, 0, 16);
	if (family == AF_INET6 && addr_is_v4mapped(src)) {
		memcpy(dst, src + 12, 4);
		return AF_INET;
	}
	memcpy(dst, src, family == AF_INET ? 4 : 16);
	return family;
}

bool addr_eq(int fa, const __u8 *a, int fb, const __u8 *b)
{
	__u8 x[16], y[16];

	return addr_norm(fa, a, x) == addr_norm(fb, b, y) && !memcmp(x, y, sizeof(x));
}

const char *addr_str(int family, const __u8 *a, char *buf, size_t size)
{
	if (!inet_ntop(family, a, buf, size))
		snprintf(buf, size, "?");
	return buf;
}
