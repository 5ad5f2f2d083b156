/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Basic authentication for --prometheus: bcrypt checks (libxcrypt) off the
 * event loop, and a cache of verified credentials. Used by httpd.c only.
 */
#ifndef EVLAT_HTTPD_AUTH_H
#define EVLAT_HTTPD_AUTH_H

#include <stddef.h>

struct webconfig;
struct auth;

#define AUTH_PASS_MAX 256 /* longer passwords are refused (bcrypt reads 72 bytes anyway) */
#define AUTH_KEY_LEN  32  /* SHA-256 */

enum auth_verdict {
	AUTH_DENIED = 0,
	AUTH_OK = 1,
	AUTH_PENDING = 2, /* for the worker: auth_submit(), ->done is called when decided */
};

/* One check in flight; lives in the connection that waits for it. */
struct auth_req {
	struct auth_req *next;		  /* in the worker's queue */
	void (*done)(struct auth_req *r); /* worker thread: the verdict is in, wake the loop */
	void *ctx;			  /* for ->done */
	const char *hash;		  /* the user's, or a decoy for an unknown user */
	int known;			  /* the user exists */
	int queued;			  /* in the worker's hands, until auth_finish() */
	int verdict;			  /* set by the worker, read by auth_finish() */
	unsigned char key[AUTH_KEY_LEN];  /* SHA-256 of user, NUL, password: the cache key */
	char pass[AUTH_PASS_MAX];
};

/* For @web's basic_auth_users; 0 or -ENOMEM. */
int auth_new(const struct webconfig *web, struct auth **out);
/* Start the worker: 0 or -errno. Call it from a thread without capabilities. */
int auth_start(struct auth *a);

/*
 * @user / @pass from the Authorization header: AUTH_OK or AUTH_DENIED from
 * the cache; AUTH_PENDING when @r is ready for auth_submit(); -EBUSY when
 * the worker's queue is full (answer 503); -EIO when the worker is not running.
 */
int auth_check(struct auth *a, struct auth_req *r, const char *user, const char *pass);
/* Hand @r to the worker (set ->done and ->ctx first, and be ready to be woken). */
void auth_submit(struct auth *a, struct auth_req *r);

/* After ->done, on the loop's thread: the verdict, now cached. */
int auth_finish(struct auth *a, struct auth_req *r);

/* Stops the worker (after its current check); requests still queued are left undecided. */
void auth_free(struct auth *a);

#endif
