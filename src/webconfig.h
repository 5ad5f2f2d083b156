/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --web-config FILE: TLS and basic authentication for --prometheus, in the
 * YAML format of the Prometheus exporter-toolkit (node_exporter's
 * --web.config.file). Read once, before the privilege drop; never re-read.
 */
#ifndef EVLAT_WEBCONFIG_H
#define EVLAT_WEBCONFIG_H

#include <stddef.h>

struct webconfig_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$, checked by libxcrypt */
};

struct webconfig {
	char *cert_pem;		      /* tls_server_config.cert_file's content; NULL: plain HTTP */
	char *key_pem;		      /* tls_server_config.key_file's content */
	const char *tls_priorities;   /* GnuTLS priority string from min/max_version */
	struct webconfig_user *users; /* basic_auth_users; none: no authentication */
	unsigned int n_users;
};

/*
 * Parse @path into @cfg (zeroed first), read and check the certificate and
 * key it names (relative paths are relative to @path's directory, as in
 * exporter-toolkit). Returns 0, or a negative errno with one line in @msg
 * that names the file and, for a YAML error, the line: -EINVAL (syntax, an
 * unknown or unsupported key, a bad value), or open()'s errno. On error
 * @cfg holds nothing to free.
 */
int webconfig_load(const char *path, struct webconfig *cfg, char *msg, size_t size);
void webconfig_free(struct webconfig *cfg);

#endif
