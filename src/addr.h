/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Addresses as 16 bytes (IPv4 in the first 4) and their one spelling:
 * the kernel's events report an IPv4-mapped IPv6 subflow as IPv4
 * (doc/kernel-notes.md), so every comparison and output normalises first.
 */
#ifndef EVLAT_ADDR_H
#define EVLAT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* ::ffff:0:0/96 */
bool addr_is_v4mapped(const __u8 a[16]);

/* In place: IPv4 in the first 4 bytes -> ::ffff:a.b.c.d, and back */
void addr_map_v4(__u8 a[16]);
void addr_unmap_v4(__u8 a[16]);

/*
 * Copy @src of @family into @dst (16 bytes, zero-padded), IPv4-mapped IPv6
 * as IPv4; returns the family of @dst (AF_INET, AF_INET6, or @family as is).
 */
int addr_norm(int family, const __u8 *src, __u8 dst[16]);

/* The same address once both are normalised */
bool addr_eq(int fa, const __u8 *a, int fb, const __u8 *b);

/* inet_ntop() of a normalised address, "?" when it cannot be printed */
const char *addr_str(int family, const __u8 *a, char *buf, size_t size);

#endif
