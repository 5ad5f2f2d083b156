// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --web-config: the exporter-toolkit web configuration file (the format of
 * node_exporter's and ebpf_exporter's --web.config.file), read with libyaml.
 *
 * A maintained parser rather than a subset of our own: the files are written
 * by people and by configuration management, with quoting, comments, flow
 * mappings and block scalars that a subset would reject or, worse, misread.
 * libyaml's document API gives every node with its line; the schema check
 * below is ours and strict, as exporter-toolkit's (yaml.UnmarshalStrict):
 * an unknown key is an error. A key exporter-toolkit knows but we do not
 * implement (client certificates, cipher lists, extra headers) is an error
 * too: ignoring "client_auth_type: RequireAndVerifyClientCert" would serve
 * to anyone what the file meant to restrict.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <yaml.h>

#include "webconfig.h"

#define MAX_FILE    (1 << 20) /* a config, a certificate chain or a key: far less */
#define BCRYPT_LEN  60	      /* "$2b$" cost "$" 22 salt + 31 hash characters */
#define MAX_USERS   64
#define TLS_DEFAULT "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct parse {
	const char *path;
	struct webconfig *cfg;
	yaml_document_t doc;
	char *msg;
	size_t size;
	const char *cert_file, *key_file; /* scalars of doc */
	int min_version, max_version;	  /* 12 or 13 */
};

typedef int (*key_fn)(struct parse *p, yaml_node_t *value);

/* A key the format has; fn NULL: exporter-toolkit has it, we do not implement it. */
struct key {
	const char *name;
	key_fn fn;
};

static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (n)
		len = (size_t)snprintf(p->msg, p->size, "%s:%zu: ", p->path,
				       n->start_mark.line + 1);
	else
		len = (size_t)snprintf(p->msg, p->size, "%s: ", p->path);
	if (len >= p->size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->msg + len, p->size - len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* "key:" with nothing after it, as YAML's null: an empty section. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* A non-empty string value: no mapping, no sequence, no null. */
static int string_value(struct parse *p, yaml_node_t *v, const char *what, const char **out)
{
	const char *s = scalar(v);

	if (!s || is_null(v) || !*s)
		return fail(p, v, "%s: expected a non-empty string", what);
	*out = s;
	return 0;
}

static yaml_node_t *node(struct parse *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

/* Is the key of @pair already among the pairs before it? */
static bool duplicate(struct parse *p, yaml_node_pair_t *first, yaml_node_pair_t *pair)
{
	const char *name = scalar(node(p, pair->key));

	for (yaml_node_pair_t *q = first; q < pair; q++)
		if (!strcmp(name, scalar(node(p, q->key))))
			return true;
	return false;
}

/* Every key of mapping @map must be in @keys; each value goes to its handler. */
static int walk(struct parse *p, yaml_node_t *map, const char *where, const struct key *keys)
{
	yaml_node_pair_t *first, *pair;
	const struct key *k;
	int err;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s: expected a mapping", where);
	first = map->data.mapping.pairs.start;
	for (pair = first; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = node(p, pair->key);
		const char *name = scalar(kn);

		if (!name)
			return fail(p, kn, "%s: a key must be a string", where);
		if (duplicate(p, first, pair))
			return fail(p, kn, "%s: duplicate key '%s'", where, name);
		for (k = keys; k->name && strcmp(k->name, name); k++)
			;
		if (!k->name)
			return fail(p, kn, "%s: unknown key '%s'", where, name);
		if (!k->fn)
			return fail(p, kn, "%s.%s is not supported by mptcp-evlat", where, name);
		err = k->fn(p, node(p, pair->value));
		if (err)
			return err;
	}
	return 0;
}

static int tls_version(struct parse *p, yaml_node_t *v, const char *what, int *out)
{
	const char *s = scalar(v);

	if (s && !strcmp(s, "TLS12"))
		*out = 12;
	else if (s && !strcmp(s, "TLS13"))
		*out = 13;
	else
		return fail(p, v, "tls_server_config.%s: '%s' (expected TLS12 or TLS13)", what,
			    s ? s : "");
	return 0;
}

static int on_cert_file(struct parse *p, yaml_node_t *v)
{
	return string_value(p, v, "tls_server_config.cert_file", &p->cert_file);
}

static int on_key_file(struct parse *p, yaml_node_t *v)
{
	return string_value(p, v, "tls_server_config.key_file", &p->key_file);
}

static int on_min_version(struct parse *p, yaml_node_t *v)
{
	return tls_version(p, v, "min_version", &p->min_version);
}

static int on_max_version(struct parse *p, yaml_node_t *v)
{
	return tls_version(p, v, "max_version", &p->max_version);
}

/* The default of exporter-toolkit, and the only value without client certificates. */
static int on_client_auth(struct parse *p, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (s && !strcmp(s, "NoClientCert"))
		return 0;
	return fail(p, v,
		    "tls_server_config.client_auth_type: '%s' is not supported by "
		    "mptcp-evlat (client certificates are not checked): only NoClientCert",
		    s ? s : "");
}

/* We speak HTTP/1.1 only; HTTP/2 is an offer in exporter-toolkit, not a requirement. */
static int on_http2(struct parse *p, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "false")))
		return 0;
	return fail(p, v, "http_server_config.http2: expected true or false");
}

/* bcrypt only, as exporter-toolkit; libxcrypt checks the prefix, cost and salt. */
static int check_hash(struct parse *p, yaml_node_t *v, const char *user, const char *hash)
{
	if ((strncmp(hash, "$2a$", 4) && strncmp(hash, "$2b$", 4) && strncmp(hash, "$2y$", 4)) ||
	    strlen(hash) != BCRYPT_LEN || crypt_checksalt(hash) != CRYPT_SALT_OK)
		return fail(p, v,
			    "basic_auth_users.%s: not a bcrypt hash ($2a$, $2b$ or $2y$, %d "
			    "characters; htpasswd -nBC 10 USER makes one)",
			    user, BCRYPT_LEN);
	return 0;
}

static int add_user(struct parse *p, yaml_node_t *kn, yaml_node_t *v)
{
	struct webconfig *cfg = p->cfg;
	const char *name = scalar(kn), *hash = NULL;
	struct webconfig_user *u;
	int err;

	if (!name || !*name)
		return fail(p, kn, "basic_auth_users: a user name must be a non-empty string");
	if (strchr(name, ':'))
		return fail(p, kn, "basic_auth_users: '%s': a user name cannot contain ':'", name);
	err = string_value(p, v, "basic_auth_users", &hash);
	if (!err)
		err = check_hash(p, v, name, hash);
	if (err)
		return err;
	if (cfg->n_users == MAX_USERS)
		return fail(p, kn, "basic_auth_users: more than %d users", MAX_USERS);
	u = &cfg->users[cfg->n_users];
	u->name = strdup(name);
	u->hash = strdup(hash);
	cfg->n_users++;
	if (!u->name || !u->hash)
		return fail(p, kn, "out of memory");
	return 0;
}

static int on_users(struct parse *p, yaml_node_t *map)
{
	yaml_node_pair_t *first, *pair;
	int err;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "basic_auth_users: expected a mapping of user: bcrypt hash");
	p->cfg->users = calloc(MAX_USERS, sizeof(*p->cfg->users));
	if (!p->cfg->users)
		return fail(p, map, "out of memory");
	first = map->data.mapping.pairs.start;
	for (pair = first; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = node(p, pair->key);

		if (scalar(kn) && duplicate(p, first, pair))
			return fail(p, kn, "basic_auth_users: duplicate user '%s'", scalar(kn));
		err = add_user(p, kn, node(p, pair->value));
		if (err)
			return err;
	}
	return 0;
}

static const struct key tls_keys[] = {
	{ "cert_file", on_cert_file },
	{ "key_file", on_key_file },
	{ "min_version", on_min_version },
	{ "max_version", on_max_version },
	{ "client_auth_type", on_client_auth },
	{ "cert", NULL },
	{ "key", NULL },
	{ "client_ca_file", NULL },
	{ "client_ca", NULL },
	{ "client_allowed_sans", NULL },
	{ "cipher_suites", NULL },
	{ "curve_preferences", NULL },
	{ "prefer_server_cipher_suites", NULL },
	{},
};

static const struct key http_keys[] = {
	{ "http2", on_http2 },
	{ "headers", NULL },
	{},
};

static int on_tls(struct parse *p, yaml_node_t *v)
{
	return walk(p, v, "tls_server_config", tls_keys);
}

static int on_http(struct parse *p, yaml_node_t *v)
{
	return walk(p, v, "http_server_config", http_keys);
}

static const struct key root_keys[] = {
	{ "tls_server_config", on_tls },
	{ "http_server_config", on_http },
	{ "basic_auth_users", on_users },
	{},
};

/* The whole of a regular file of at most MAX_FILE bytes, NUL-terminated. */
static int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1;
	char *buf = NULL;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if (st.st_size > MAX_FILE)
		err = -EFBIG;
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		err = -ENOMEM;
	else if ((n = read(fd, buf, (size_t)st.st_size)) < 0)
		err = -errno;
	close(fd);
	if (!err && n != st.st_size)
		err = -EIO; /* changed under us */
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* @file relative to the config's directory, as exporter-toolkit resolves it. */
static int read_relative(struct parse *p, const char *what, const char *file, char **out)
{
	const char *slash = strrchr(p->path, '/');
	char full[PATH_MAX];
	size_t len;
	int n, err;

	if (*file == '/' || !slash)
		n = snprintf(full, sizeof(full), "%s", file);
	else
		n = snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - p->path), p->path, file);
	if (n < 0 || (size_t)n >= sizeof(full))
		err = -ENAMETOOLONG;
	else
		err = read_file(full, out, &len);
	if (err)
		snprintf(p->msg, p->size, "%s: tls_server_config.%s %s: %s", p->path, what, full,
			 err == -EINVAL ? "not a regular file" : strerror(-err));
	return err;
}

/* What MHD would find only at its start, and say less well: PEM, and a key that fits. */
static int check_pair(struct parse *p)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)p->cfg->cert_pem,
				(unsigned int)strlen(p->cfg->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)p->cfg->key_pem,
			       (unsigned int)strlen(p->cfg->key_pem) };
	int ret;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	/* since GnuTLS 3.5.6 this also checks that the key belongs to the certificate */
	ret = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (ret >= 0)
		return 0;
	snprintf(p->msg, p->size,
		 "%s: tls_server_config: cert_file %s, key_file %s: %s (PEM certificate and "
		 "unencrypted key expected)",
		 p->path, p->cert_file, p->key_file, gnutls_strerror(ret));
	return -EINVAL;
}

static const char *priorities(int min, int max)
{
	if (min == 13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	if (max == 12)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	return TLS_DEFAULT; /* exporter-toolkit's default minimum is TLS 1.2 as well */
}

/* The TLS part: both files or neither; an empty tls_server_config means plain HTTP. */
static int load_tls(struct parse *p)
{
	int err;

	if (!p->cert_file && !p->key_file) {
		if (p->min_version || p->max_version)
			return fail(p, NULL,
				    "tls_server_config: min_version or max_version "
				    "without cert_file and key_file");
		return 0;
	}
	if (!p->cert_file || !p->key_file)
		return fail(p, NULL, "tls_server_config: %s without %s",
			    p->cert_file ? "cert_file" : "key_file",
			    p->cert_file ? "key_file" : "cert_file");
	if (p->min_version && p->max_version && p->min_version > p->max_version)
		return fail(p, NULL, "tls_server_config: min_version is above max_version");
	p->cfg->tls_priorities = priorities(p->min_version, p->max_version);
	err = read_relative(p, "cert_file", p->cert_file, &p->cfg->cert_pem);
	if (!err)
		err = read_relative(p, "key_file", p->key_file, &p->cfg->key_pem);
	return err ? err : check_pair(p);
}

static int parse_doc(struct parse *p, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	int err;

	if (!yaml_parser_initialize(&parser))
		return fail(p, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &p->doc)) {
		snprintf(p->msg, p->size, "%s:%zu: YAML: %s", p->path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&p->doc);
	err = root ? walk(p, root, "top level", root_keys) : 0; /* empty: plain HTTP, as before */
	if (!err)
		err = load_tls(p);
	yaml_document_delete(&p->doc);
	return err;
}

int webconfig_load(const char *path, struct webconfig *cfg, char *msg, size_t size)
{
	struct parse p = { .path = path, .cfg = cfg, .msg = msg, .size = size };
	char *text = NULL;
	size_t len;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = read_file(path, &text, &len);
	if (err) {
		snprintf(msg, size, "%s: %s", path,
			 err == -EINVAL ? "not a regular file" : strerror(-err));
		return err;
	}
	err = parse_doc(&p, text, len);
	free(text);
	if (err)
		webconfig_free(cfg);
	return err;
}

void webconfig_free(struct webconfig *cfg)
{
	for (unsigned int i = 0; i < cfg->n_users; i++) {
		free(cfg->users[i].name);
		free(cfg->users[i].hash);
	}
	free(cfg->users);
	free(cfg->cert_pem);
	if (cfg->key_pem)
		explicit_bzero(cfg->key_pem, strlen(cfg->key_pem));
	free(cfg->key_pem);
	memset(cfg, 0, sizeof(*cfg));
}
