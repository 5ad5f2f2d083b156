/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What both of trafgen's modes use (tg_base.c): trafgen's own scenarios
 * (trafgen.h) and "trafgen pm" (pm_scen.h): the clock, bounded waits and
 * transfers, event names, and the two kinds of message.
 */
#ifndef TRAFGEN_TG_BASE_H
#define TRAFGEN_TG_BASE_H

#include <stdarg.h>
#include <stddef.h>

#include "mptcp_obs.h"
#include "pm_genl.h"

long long now_ms(void);
/* 0 once @fd has @events, -ETIMEDOUT at @deadline (now_ms()), -errno */
int wait_fd(int fd, short events, long long deadline);
/* all of @len, or -ECONNRESET, -ETIMEDOUT, -errno */
int send_all(int fd, const char *buf, size_t len, long long deadline);
int recv_all(int fd, char *buf, size_t len, long long deadline);
/* the kernel's extack message of a failed request, else strerror */
const char *pm_why(const struct pm_genl *pm, int err);
/* "created", ... as --expect lists them */
const char *tg_event_name(unsigned int ev);
/* "PREFIX: [  N ms] message" (a progress line) or "PREFIX: message" (@t0 < 0) on stderr */
void tg_vsay(const char *prefix, long long t0, const char *fmt, va_list ap);

#endif /* TRAFGEN_TG_BASE_H */
