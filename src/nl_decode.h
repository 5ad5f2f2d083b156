/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decoding of one mptcp_pm_events message (nlmsghdr + genlmsghdr +
 * attributes) into a struct nl_event, and the event's key=value line.
 */
#ifndef EVLAT_NL_DECODE_H
#define EVLAT_NL_DECODE_H

#include <stddef.h>
#include <linux/types.h>

#include "nl_event.h"

/* Bits of MPTCP_ATTR_FLAGS (include/uapi/linux/mptcp.h) */
#define NL_EV_FLAG_DENY_JOIN_ID0 (1u << 0) /* sent since 6.17 (2293c57484ae) and stable */
#define NL_EV_FLAG_SERVER_SIDE	 (1u << 1) /* 6.18; MPTCP_ATTR_SERVER_SIDE before */

/*
 * Decode the message at @buf (@len bytes available) into @ev. Only the first
 * message is read; bytes after its nlmsg_len are ignored. @family_id is the
 * resolved id of the "mptcp_pm" genl family. @ev->recv_ns is set to 0: the
 * receiver stamps it.
 *
 * Returns 0, or:
 *   -EINVAL   NULL @buf or @ev
 *   -ENODATA  truncated header: fewer bytes than nlmsghdr, or an nlmsg_len
 *             too short for nlmsghdr + genlmsghdr
 *   -EMSGSIZE nlmsg_len beyond @len
 *   -ENOMSG   another family (or a control message: NLMSG_ERROR, _DONE, ...)
 *   -EBADMSG  an attribute of a known type with the wrong length, an attribute
 *             running past the message, or addresses that contradict the
 *             family attribute
 * Unknown event types are kept as numbers; unknown attributes are skipped.
 */
int nl_decode_event(const void *buf, size_t len, __u16 family_id, struct nl_event *ev);

/*
 * MPTCP_ATTR_FLAGS as "deny_join_id0,server_side"; unknown bits as one hex
 * number ("deny_join_id0,0x8"); no bit set is "0". Returns the length written
 * or -ENOSPC (the buffer then holds a truncated, terminated string).
 */
int nl_flags_str(unsigned int flags, char *buf, size_t size);

/*
 * One line, no newline: "event=created token=0x1a2b3c4d family=4
 * saddr=10.0.1.1 ...", only the fields the message carried, in the order of
 * README's record lines where they overlap. IPv4-mapped IPv6 addresses are
 * shown as IPv4 (family=4). recv_ns is not printed. Returns the length or
 * -ENOSPC / -EINVAL.
 */
int nl_event_format(const struct nl_event *ev, char *buf, size_t size);

#endif
