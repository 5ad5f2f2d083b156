/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The path manager's commands: every mptcp_pm request that reached the
 * kernel (bpf/evlat.bpf.c, genl_rcv_msg()), with
 *
 *   its trigger   the last event of its connection that the sending process
 *                 read before it (the consumers' reads: the same socket,
 *                 else the same process): reaction = command - that read,
 *                 end to end = command - that event's kernel hook. While
 *                 a message of the connection queued to that reader before
 *                 the command is pending (its read not recorded yet), the
 *                 command is held; when that message turns out read with
 *                 its read unrecorded (the kernel skipped the read probe),
 *                 the trigger is unknown (trigger_lost), never an older one;
 *   its effect    the kernel event the command caused, found among the hook
 *                 records at or after the command's call (SUBFLOW_DESTROY
 *                 closes its subflow inside the call): SUBFLOW_CREATE ->
 *                 SUB_ESTABLISHED (or SUB_CLOSED: refused), SUBFLOW_DESTROY ->
 *                 SUB_CLOSED, and at the peer (the other end of the
 *                 connection, in a traced namespace) ANNOUNCE -> ANNOUNCED,
 *                 REMOVE -> REMOVED, SET_FLAGS -> SUB_PRIORITY; or none
 *                 within the timeout.
 *
 * The in-kernel PM's endpoint commands (ADD_ADDR, SET_LIMITS, ...) name no
 * connection: no trigger, no effect expected. Each finished command goes to
 * the callback (main.c: report_command()).
 */
#ifndef EVLAT_PM_H
#define EVLAT_PM_H

#include <stdbool.h>
#include <linux/types.h>

#include "consumers.h"
#include "evlat_record.h"

enum pm_result {
	PMR_OK,	   /* the kernel accepted it */
	PMR_ERROR, /* it returned an error (err) */
	PMR_DUMP,  /* a dump started (-EINTR from genl_rcv_msg(): no ACK follows) */
	PMR_MAX,
};

enum pm_effect_status {
	PME_SEEN,	  /* the event it caused */
	PME_NONE,	  /* an effect was due and none came within the timeout */
	PME_NO_PEER,	  /* the effect is the peer's, and the peer is not traced */
	PME_NOT_EXPECTED, /* failed, a dump, or a command without an event of its own */
	PME_MAX,
};

enum pm_stage {
	PMS_REACTION, /* the trigger's read -> the command */
	PMS_E2E,      /* the trigger's kernel hook -> the command */
	PMS_EFFECT,   /* the command -> its effect's kernel hook */
	PMS_MAX,
};

/* An address of a command: IPv4, or an IPv6 one folded to 32 bits (evlat_record.h) */
struct pm_addr {
	__u8 family; /* AF_INET, AF_INET6, or 0: none given */
	__u8 id;
	__u16 port;
	__u8 addr[4];
};

struct pm_command {
	__u8 cmd; /* MPTCP_PM_CMD_* */
	enum pm_result result;
	__s32 err;
	bool have_token;
	__u32 token;
	__u32 netns;
	__u32 pid, ino, seq;
	char comm[16];
	__u64 time_ns; /* genl_rcv_msg() called (its return if the call was not seen) */
	__u64 end_ns;  /* it returned */
	struct pm_addr local, remote;
	bool have_remote;
	__u32 addr_flags;
	bool have_trigger;
	bool trigger_lost; /* a read that may be the trigger was not recorded: none claimed */
	__u8 trigger_event;
	__u64 trigger_read_ns, trigger_hook_ns; /* hook: 0 when unknown */
	enum pm_effect_status effect;
	__u8 effect_event;
	__u32 effect_netns, effect_token;
	__u64 effect_ns;
	bool effect_peer;   /* at the other end of the connection */
	bool effect_inside; /* before the command returned */
	bool have_stage[PMS_MAX];
	__u64 stage_ns[PMS_MAX];
};

typedef void (*pm_cb)(void *ctx, const struct pm_command *c);

struct pm_opts {
	__u64 timeout_ns;	      /* how long an effect (or a held trigger) may take */
	unsigned int capacity;	      /* commands waiting for their effect at most (oldest: none) */
	const struct consumers *cons; /* the pending deliveries; NULL: commands are never held */
	pm_cb cb;
	void *ctx;
};

struct pm;

/* NULL with errno set */
struct pm *pm_new(const struct pm_opts *o);
void pm_free(struct pm *pm);

/* A ring-buffer record: commands and the event hooks are used, others ignored */
void pm_add_record(struct pm *pm, const struct evlat_record *r);
/* A consumer's read: the triggers of its process's commands */
void pm_add_read(struct pm *pm, const struct consumer_read *rd);
/* A consumer's finished delivery: what a held command waits for */
void pm_add_delivery(struct pm *pm, const struct delivery *d);
/* Commands whose effect did not come by @now_ns (CLOCK_MONOTONIC) are finished without */
void pm_expire(struct pm *pm, __u64 now_ns);
/* At exit: every command still waiting is finished */
void pm_flush(struct pm *pm);

/* "subflow_create", ... or NULL */
const char *pm_cmd_name(unsigned int cmd);
/* "ok", "error", "dump" / "seen", "none", "no_peer", "not_expected" / "reaction", ... */
const char *pm_result_name(unsigned int r);
const char *pm_effect_name(unsigned int e);
const char *pm_stage_name(unsigned int s);

#endif
