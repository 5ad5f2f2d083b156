// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --web-config without root or network: the exporter-toolkit keys, strictness
 * (unknown and unsupported keys, duplicates, types) with the line in the
 * message, bcrypt hash checks, relative paths; then the password checks of
 * httpd_auth.c with a real bcrypt worker: verdicts, the cache, the queue
 * bound. tests/host/webconfig.sh runs the server with real certificates.
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "httpd_auth.h"
#include "webconfig.h"

static char dir[] = "/tmp/evlat-webconfig-unit.XXXXXX";
static char path[256];
static char hash[128];

/* A bcrypt hash of "secret", cost 4 (the minimum: the test stays fast). */
static void make_hash(void)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };

	if (!crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) ||
	    !crypt_rn("secret", salt, &cd, sizeof(cd)))
		abort();
	snprintf(hash, sizeof(hash), "%.127s", cd.output);
}

/* Write @text to the config file and load it: the return, and the message in @msg. */
static int load(const char *text, struct webconfig *cfg, char *msg, size_t size)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	msg[0] = '\0';
	return webconfig_load(path, cfg, msg, size);
}

/* @text is refused with -EINVAL and a message that ends with @want after "PATH" */
static void refused(const char *text, const char *want)
{
	struct webconfig cfg;
	char msg[512];
	int err = load(text, &cfg, msg, sizeof(msg));

	CHECK(err == -EINVAL);
	CHECK(!strncmp(msg, path, strlen(path)));
	CHECK_STR(msg + strlen(path), want);
	CHECK(!cfg.users && !cfg.cert_pem && !cfg.n_users); /* nothing left to free */
}

static void test_accepted(void)
{
	struct webconfig cfg;
	char text[1024], msg[512];

	CHECK(load("", &cfg, msg, sizeof(msg)) == 0);
	CHECK(!cfg.cert_pem && !cfg.n_users);
	webconfig_free(&cfg);
	CHECK(load("# nothing\ntls_server_config:\nbasic_auth_users: ~\n", &cfg, msg,
		   sizeof(msg)) == 0);
	CHECK(!cfg.cert_pem && !cfg.n_users);
	webconfig_free(&cfg);
	snprintf(text, sizeof(text),
		 "basic_auth_users: {\"prom\": '%s', other: \"%s\"} # flow style\n"
		 "http_server_config:\n  http2: true\n",
		 hash, hash);
	CHECK(load(text, &cfg, msg, sizeof(msg)) == 0);
	CHECK(cfg.n_users == 2);
	if (cfg.n_users == 2) {
		CHECK_STR(cfg.users[0].name, "prom");
		CHECK_STR(cfg.users[1].name, "other");
		CHECK_STR(cfg.users[1].hash, hash);
	}
	webconfig_free(&cfg);
}

static void test_refused(void)
{
	char text[1024];

	refused("tls_config: {}\n", ":1: top level: unknown key 'tls_config'");
	refused("basic_auth_users:\ntls_server_config:\n  cert_file: a\n  cert_path: b\n",
		":4: tls_server_config: unknown key 'cert_path'");
	refused("tls_server_config:\n  client_ca_file: ca.crt\n",
		":2: tls_server_config.client_ca_file is not supported by mptcp-evlat");
	refused("http_server_config: {headers: {X: y}}\n",
		":1: http_server_config.headers is not supported by mptcp-evlat");
	refused("http_server_config: {http2: maybe}\n",
		":1: http_server_config.http2: expected true or false");
	refused("basic_auth_users:\nbasic_auth_users:\n", ":2: top level: duplicate key "
							  "'basic_auth_users'");
	refused("tls_server_config: [a, b]\n", ":1: tls_server_config: expected a mapping");
	refused("tls_server_config:\n  cert_file: {a: b}\n",
		":2: tls_server_config.cert_file: expected a non-empty string");
	refused("tls_server_config:\n  cert_file: a.crt\n",
		": tls_server_config: cert_file without key_file");
	refused("tls_server_config:\n  min_version: TLS13\n",
		": tls_server_config: min_version or max_version without cert_file and key_file");
	refused("tls_server_config:\n  min_version: TLS10\n",
		":2: tls_server_config.min_version: 'TLS10' (expected TLS12 or TLS13)");
	refused("tls_server_config: {cert_file: a\n", ":2: YAML: did not find expected ',' or '}'");
	refused("basic_auth_users:\n  prom: $1$abc$def\n",
		":2: basic_auth_users.prom: not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters; "
		"htpasswd -nBC 10 USER makes one)");
	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: '%.59s'\n", hash);
	CHECK(strlen(hash) == 60);
	refused(text, ":2: basic_auth_users.prom: not a bcrypt hash ($2a$, $2b$ or $2y$, 60 "
		      "characters; htpasswd -nBC 10 USER makes one)");
	snprintf(text, sizeof(text), "basic_auth_users:\n  a: '%s'\n  a: '%s'\n", hash, hash);
	refused(text, ":3: basic_auth_users: duplicate user 'a'");
	snprintf(text, sizeof(text), "basic_auth_users:\n  'a:b': '%s'\n", hash);
	refused(text, ":2: basic_auth_users: 'a:b': a user name cannot contain ':'");
}

/* Relative to the config's directory; the file's errno comes back. */
static void test_files(void)
{
	struct webconfig cfg;
	char msg[512], want[512];
	int err;

	err = load("tls_server_config:\n  cert_file: nosuch.crt\n  key_file: nosuch.key\n", &cfg,
		   msg, sizeof(msg));
	CHECK(err == -ENOENT);
	snprintf(want, sizeof(want),
		 "%s: tls_server_config.cert_file %s/nosuch.crt: No such file or directory", path,
		 dir);
	CHECK_STR(msg, want);
	err = webconfig_load(dir, &cfg, msg, sizeof(msg));
	CHECK(err == -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	CHECK_STR(msg, want);
}

/* ---- httpd_auth.c ---------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int decided;

static void done(struct auth_req *r)
{
	pthread_mutex_lock(&lock);
	decided++;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static int decided_now(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = decided;
	pthread_mutex_unlock(&lock);
	return n;
}

static void wait_decided(int n)
{
	pthread_mutex_lock(&lock);
	while (decided < n)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

/* One check through the worker: its verdict. */
static int verify(struct auth *a, const char *user, const char *pass)
{
	struct auth_req r = { .done = done };
	int v = auth_check(a, &r, user, pass);
	int before = decided_now();

	if (v != AUTH_PENDING)
		return v;
	auth_submit(a, &r);
	wait_decided(before + 1);
	return auth_finish(a, &r);
}

static void test_auth(void)
{
	struct webconfig_user u = { .name = "prom", .hash = hash };
	struct webconfig web = { .users = &u, .n_users = 1 };
	struct auth_req r[5] = { 0 };
	struct auth *a;
	int base;

	CHECK(auth_new(&web, &a) == 0);
	CHECK(auth_check(a, &r[0], "prom", "secret") == -EIO); /* no worker yet */
	CHECK(auth_start(a) == 0);
	CHECK(verify(a, "prom", "secret") == AUTH_OK);
	CHECK(auth_check(a, &r[0], "prom", "secret") == AUTH_OK); /* cached: no worker */
	CHECK(verify(a, "prom", "Secret") == AUTH_DENIED);
	CHECK(auth_check(a, &r[0], "prom", "Secret") == AUTH_DENIED);
	CHECK(verify(a, "nobody", "secret") == AUTH_DENIED); /* the decoy hash: still denied */
	CHECK(verify(a, "prom", "") == AUTH_DENIED);
	/* four checks may wait; the fifth is turned away at once */
	base = decided_now();
	for (int i = 0; i < 4; i++) {
		char pass[16];

		snprintf(pass, sizeof(pass), "guess%d", i);
		r[i].done = done;
		CHECK(auth_check(a, &r[i], "prom", pass) == AUTH_PENDING);
		auth_submit(a, &r[i]);
	}
	CHECK(auth_check(a, &r[4], "prom", "guess4") == -EBUSY);
	wait_decided(base + 4);
	for (int i = 0; i < 4; i++)
		CHECK(auth_finish(a, &r[i]) == AUTH_DENIED);
	CHECK(verify(a, "prom", "secret") == AUTH_OK);
	auth_free(a);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	make_hash();
	test_accepted();
	test_refused();
	test_files();
	test_auth();
	unlink(path);
	rmdir(dir);
	return check_report("webconfig");
}
