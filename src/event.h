/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One event as the outputs see it: what the correlator decided about a kernel
 * event (or, with --genl-only, a netlink event as received), its identifying
 * fields and its latencies.
 */
#ifndef EVLAT_EVENT_H
#define EVLAT_EVENT_H

#include <stdbool.h>
#include <linux/types.h>

#include "correlate.h"
#include "nl_event.h"

enum evlat_status {
	ST_DELIVERED,	  /* the netlink event arrived for the kernel's call */
	ST_NOT_DELIVERED, /* the kernel called the sender; nothing arrived in time */
	ST_UNMATCHED,	  /* a netlink event with no kernel record (e.g. probe missing) */
	ST_EVICTED,	  /* the correlation table was full: not judged */
	ST_RECEIVED,	  /* --genl-only: a netlink event, nothing to match it with */
	ST_MAX,
};

enum evlat_stage {
	STAGE_TOTAL,	/* hook -> our receive */
	STAGE_KERNEL,	/* hook -> multicast send */
	STAGE_DELIVERY, /* multicast send -> our receive */
	STAGE_MAX,
};

struct evlat_event {
	enum evlat_status status;
	__u8 type;
	__u8 family; /* 4 or 6, 0 if unknown */
	__u8 loc_id, rem_id;
	bool have_token, have_addrs, have_ids, have_loc_id;
	__u32 token;
	__u32 netns;
	__u16 sport, dport;
	__u8 saddr[16], daddr[16];
	bool have_saddr, have_daddr;
	bool have_stage[STAGE_MAX];
	__u64 stage_ns[STAGE_MAX];
	__u64 time_ns; /* CLOCK_MONOTONIC of the hook, or of the receive */
};

void event_from_corr(const struct corr_result *res, struct evlat_event *ev);
void event_from_nl(const struct nl_event *nl, __u32 netns, struct evlat_event *ev);

const char *status_name(enum evlat_status st);
const char *stage_name(enum evlat_stage st);

#endif
