// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Basic authentication: bcrypt (libxcrypt's crypt_rn()) in one worker thread,
 * verdicts cached on the loop's thread.
 *
 * Why a thread, against STYLE.md's one loop: a bcrypt check takes 52 ms at
 * cost 10 and 220 ms at cost 12 on the build machine (README, "Exposing the
 * endpoint"), and the event loop stamps each netlink event when it reads it:
 * a check on the loop would add its whole duration to the measured latency of
 * every event that arrives meanwhile. The worker runs at nice 19, one check at
 * a time (a flood of bad passwords costs one core at most, as exporter-toolkit's
 * bcrypt mutex does), and at most QUEUE_MAX requests wait for it; past that the
 * request is answered 503 at once rather than queued without bound.
 *
 * The cache, as exporter-toolkit's: a verified (user, password) is not checked
 * again. Keys are SHA-256 digests (GnuTLS), never the password itself. Good and
 * bad verdicts are kept apart: a flood of wrong passwords rotates the bad slots
 * and cannot evict the scraper's verified credentials.
 *
 * auth_start() is called by the HTTP thread (httpd.c), itself created after
 * privdrop_all(): capabilities are per thread, and a thread created before the
 * drop would keep them.
 */
#define _GNU_SOURCE /* gettid() */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "httpd_auth.h"
#include "webconfig.h"

#define QUEUE_MAX   4  /* checks queued or running: about 200 ms of work at cost 10 */
#define GOOD_SLOTS  16 /* distinct verified credentials: scrapers are few */
#define BAD_SLOTS   64
#define WORKER_NICE 19

struct cache {
	unsigned char key[BAD_SLOTS][AUTH_KEY_LEN];
	unsigned int size, n, next;
};

struct auth {
	const struct webconfig *web;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct auth_req *head, *tail; /* under lock */
	bool stop;		      /* under lock */
	bool started;
	pthread_t thread;
	unsigned int inflight; /* loop thread only: checks handed over, not yet finished */
	struct cache good, bad;
};

/* Constant time, whatever the inputs share. */
static bool same(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return !d;
}

static bool cache_has(const struct cache *c, const unsigned char *key)
{
	bool found = false;

	for (unsigned int i = 0; i < c->n; i++)
		found |= same(c->key[i], key, AUTH_KEY_LEN);
	return found;
}

static void cache_add(struct cache *c, const unsigned char *key)
{
	if (cache_has(c, key))
		return;
	memcpy(c->key[c->next], key, AUTH_KEY_LEN);
	c->next = (c->next + 1) % c->size;
	if (c->n < c->size)
		c->n++;
}

static int digest(const char *user, const char *pass, unsigned char *key)
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -ENOMEM;
	gnutls_hash(h, user, strlen(user) + 1);
	gnutls_hash(h, pass, strlen(pass));
	gnutls_hash_deinit(h, key);
	return 0;
}

static int verify(struct auth_req *r, struct crypt_data *cd)
{
	const char *out = crypt_rn(r->pass, r->hash, cd, sizeof(*cd));
	size_t len = strlen(r->hash);
	int ok = out && strlen(out) == len && same(out, r->hash, len);

	explicit_bzero(r->pass, sizeof(r->pass));
	explicit_bzero(cd, sizeof(*cd));
	return ok && r->known ? AUTH_OK : AUTH_DENIED;
}

static struct auth_req *next_req(struct auth *a)
{
	struct auth_req *r;

	pthread_mutex_lock(&a->lock);
	while (!a->head && !a->stop)
		pthread_cond_wait(&a->cond, &a->lock);
	r = a->stop ? NULL : a->head;
	if (r) {
		a->head = r->next;
		if (!a->head)
			a->tail = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

static void *worker(void *arg)
{
	struct auth *a = arg;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	struct auth_req *r;

	/* raising the nice value needs no capability */
	setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
	while ((r = next_req(a))) {
		int verdict = cd ? verify(r, cd) : AUTH_DENIED;

		pthread_mutex_lock(&a->lock);
		r->verdict = verdict;
		pthread_mutex_unlock(&a->lock);
		r->done(r);
	}
	free(cd);
	return NULL;
}

int auth_new(const struct webconfig *web, struct auth **out)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->web = web;
	a->good.size = GOOD_SLOTS;
	a->bad.size = BAD_SLOTS;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	*out = a;
	return 0;
}

static const struct webconfig_user *find_user(const struct webconfig *web, const char *name)
{
	for (unsigned int i = 0; i < web->n_users; i++)
		if (!strcmp(web->users[i].name, name))
			return &web->users[i];
	return NULL;
}

int auth_start(struct auth *a)
{
	int err = -pthread_create(&a->thread, NULL, worker, a);

	if (!err)
		a->started = true;
	return err;
}

int auth_check(struct auth *a, struct auth_req *r, const char *user, const char *pass)
{
	const struct webconfig_user *u = find_user(a->web, user);
	size_t len = strlen(pass);

	if (len >= sizeof(r->pass) || digest(user, pass, r->key))
		return AUTH_DENIED;
	if (cache_has(&a->good, r->key))
		return AUTH_OK;
	if (cache_has(&a->bad, r->key))
		return AUTH_DENIED;
	if (!a->started)
		return -EIO;
	if (a->inflight >= QUEUE_MAX)
		return -EBUSY;
	/* an unknown user costs a bcrypt as well (the first user's hash, same cost): no timing hint */
	r->known = u != NULL;
	r->hash = u ? u->hash : a->web->users[0].hash;
	memcpy(r->pass, pass, len + 1);
	return AUTH_PENDING;
}

void auth_submit(struct auth *a, struct auth_req *r)
{
	r->next = NULL;
	r->queued = 1;
	a->inflight++;
	pthread_mutex_lock(&a->lock);
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

int auth_finish(struct auth *a, struct auth_req *r)
{
	int verdict;

	pthread_mutex_lock(&a->lock);
	verdict = r->verdict;
	pthread_mutex_unlock(&a->lock);
	r->queued = 0;
	a->inflight--;
	cache_add(verdict == AUTH_OK ? &a->good : &a->bad, r->key);
	return verdict;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	for (struct auth_req *r = a->head; r; r = r->next)
		explicit_bzero(r->pass, sizeof(r->pass));
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	explicit_bzero(a, sizeof(*a));
	free(a);
}
