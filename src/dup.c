// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "dup.h"
#include "evlat_record.h"

static __u64 fnv(__u64 h, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The connection (CLOSED, CREATED) or the subflow (SUB_*) an event is about. */
static __u64 key_of(const struct evlat_event *ev, bool subflow)
{
	__u64 h = fnv(0xcbf29ce484222325ULL, &ev->netns, sizeof(ev->netns));

	h = fnv(h, &ev->token, sizeof(ev->token));
	h = fnv(h, &subflow, sizeof(subflow));
	if (subflow) {
		h = fnv(h, &ev->sport, sizeof(ev->sport));
		h = fnv(h, &ev->dport, sizeof(ev->dport));
		h = fnv(h, ev->saddr, sizeof(ev->saddr));
		h = fnv(h, ev->daddr, sizeof(ev->daddr));
	}
	return h ? h : 1;
}

static __u64 *slot(struct dup_table *t, __u64 key)
{
	return &t->key[key % DUP_SLOTS];
}

bool dup_check(struct dup_table *t, const struct evlat_event *ev)
{
	bool sub = ev->type == EVLAT_EV_SUB_CLOSED || ev->type == EVLAT_EV_SUB_ESTABLISHED;
	__u64 key, *s;

	if (ev->type != EVLAT_EV_CLOSED && ev->type != EVLAT_EV_CREATED && !sub)
		return false;
	key = key_of(ev, sub);
	s = slot(t, key);
	if (ev->type == EVLAT_EV_CREATED || ev->type == EVLAT_EV_SUB_ESTABLISHED) {
		if (*s == key)
			*s = 0; /* a new life for this connection / subflow */
		return false;
	}
	if (*s == key)
		return true;
	*s = key;
	return false;
}
