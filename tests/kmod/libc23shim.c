// SPDX-License-Identifier: GPL-2.0
/*
 * C23's strtol family (strtol, strtoll, strtoul, strtoull) for Debian's trixie/sid kbuild host tools on bookworm's glibc 2.36 (see
 * glibc-compat.py). glibc >= 2.38 maps strtol() & co. to these in C2x/GNU mode; they differ only
 * in accepting a "0b" prefix, which no kbuild tool parses. Exported under the version that
 * glibc-compat.py writes into the patched tools.
 */
#include <stdlib.h>

long evlat_strtol(const char *s, char **end, int base)
{
	return strtol(s, end, base);
}

long long evlat_strtoll(const char *s, char **end, int base)
{
	return strtoll(s, end, base);
}

unsigned long evlat_strtoul(const char *s, char **end, int base)
{
	return strtoul(s, end, base);
}

unsigned long long evlat_strtoull(const char *s, char **end, int base)
{
	return strtoull(s, end, base);
}

__asm__(".symver evlat_strtol, __isoc23_strtol@@GLIBC_2.34");
__asm__(".symver evlat_strtoll, __isoc23_strtoll@@GLIBC_2.34");
__asm__(".symver evlat_strtoul, __isoc23_strtoul@@GLIBC_2.34");
__asm__(".symver evlat_strtoull, __isoc23_strtoull@@GLIBC_2.34");
