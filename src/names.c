// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "consumers.h"
#include "correlate.h"
#include "evlat_record.h"
#include "names.h"
#include "util.h"

/* Numbers from enum mptcp_event_type, include/uapi/linux/mptcp.h */
static const char *const event_names[] = {
	[EVLAT_EV_CREATED] = "created",
	[EVLAT_EV_ESTABLISHED] = "established",
	[EVLAT_EV_CLOSED] = "closed",
	[EVLAT_EV_ANNOUNCED] = "announced",
	[EVLAT_EV_REMOVED] = "removed",
	[EVLAT_EV_SUB_ESTABLISHED] = "sub_established",
	[EVLAT_EV_SUB_CLOSED] = "sub_closed",
	[EVLAT_EV_SUB_PRIORITY] = "sub_priority",
	[EVLAT_EV_LISTENER_CREATED] = "listener_created",
	[EVLAT_EV_LISTENER_CLOSED] = "listener_closed",
};

static const char *const kind_names[] = {
	[EVLAT_K_EVENT] = "event",	 [EVLAT_K_ANNOUNCED] = "announced",
	[EVLAT_K_REMOVED] = "removed",	 [EVLAT_K_CLOSE_SSK] = "close_ssk",
	[EVLAT_K_LISTENER] = "listener", [EVLAT_K_SEND] = "send",
	[EVLAT_K_QUEUED] = "queued",	 [EVLAT_K_OVERRUN] = "overrun",
	[EVLAT_K_READ] = "read",	 [EVLAT_K_NOLISTENER] = "nolistener",
	[EVLAT_K_GONE] = "gone",
};

const char *event_name(unsigned int type)
{
	if (type >= ARRAY_SIZE(event_names))
		return NULL;
	return event_names[type];
}

const char *event_label(unsigned int type, char *buf, size_t size)
{
	const char *name = event_name(type);

	if (name)
		return name;
	snprintf(buf, size, "%u", type);
	return buf;
}

int event_by_name(const char *name)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i] && !strcmp(event_names[i], name))
			return (int)i;
	return -EINVAL;
}

const char *kind_name(unsigned int kind)
{
	if (kind >= ARRAY_SIZE(kind_names))
		return NULL;
	return kind_names[kind];
}

const char *ident_field_name(unsigned int bit)
{
	switch (bit) {
	case CORR_F_SADDR:
		return "saddr";
	case CORR_F_DADDR:
		return "daddr";
	case CORR_F_SPORT:
		return "sport";
	case CORR_F_DPORT:
		return "dport";
	case CORR_F_REM_ID:
		return "rem_id";
	}
	return NULL;
}

const char *delivery_status_name(unsigned int st)
{
	static const char *const names[DS_MAX] = {
		[DS_READ] = "read",
		[DS_LOST_OVERRUN] = "lost_overrun",
		[DS_UNREAD] = "unread",
	};

	return st < DS_MAX ? names[st] : "?";
}

const char *delivery_stage_name(unsigned int st)
{
	static const char *const names[DST_MAX] = {
		[DST_QUEUE] = "queue",
		[DST_READ] = "read",
		[DST_TOTAL] = "total",
	};

	return st < DST_MAX ? names[st] : "?";
}

const char *delivery_stage_key(unsigned int st)
{
	static const char *const keys[DST_MAX] = {
		[DST_QUEUE] = "queue_ns",
		[DST_READ] = "read_ns",
		[DST_TOTAL] = "latency_ns",
	};

	return st < DST_MAX ? keys[st] : "?";
}

/* include/net/tcp_states.h; MPTCP sockets reuse the TCP numbering */
static const char *const tcp_state_names[] = {
	[1] = "ESTABLISHED",	 [2] = "SYN_SENT",  [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",	 [6] = "TIME_WAIT", [7] = "CLOSE",    [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",	 [10] = "LISTEN",   [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

const char *tcp_state_name(unsigned int state)
{
	if (state >= ARRAY_SIZE(tcp_state_names))
		return NULL;
	return tcp_state_names[state];
}
