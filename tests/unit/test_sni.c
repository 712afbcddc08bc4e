/* test_sni.c -- server_names patterns, SNI certificate choice, and the TLS keys of config.c */
#include "testlib.h"

#include "config.h"
#include "sni.h"

static bool
valid(const char *p)
{
	const char *why;

	return sni_pattern_valid(p, strlen(p), &why);
}

static void
test_pattern_valid(void)
{
	const char *why = NULL;

	CHECK(valid("a.example"));
	CHECK(valid("localhost"));
	CHECK(valid("*.b.example"));
	CHECK(valid("*.localhost"));
	CHECK(valid("xn--bcher-kva.example"));
	CHECK(valid("under_score.example"));
	CHECK(!valid(""));
	CHECK(!valid("*"));
	CHECK(!valid("*."));
	CHECK(!valid("a.*.example"));
	CHECK(!valid("*a.example"));
	CHECK(!valid("a*.example"));
	CHECK(!valid("**.example"));
	CHECK(!valid(".example"));
	CHECK(!valid("example."));
	CHECK(!valid("a..example"));
	CHECK(!valid("a example"));
	CHECK(!valid("a/example"));
	CHECK(!sni_pattern_valid("a.*.example", 11, &why));
	CHECK(why != NULL && strstr(why, "first label") != NULL);
	/* Labels up to 63, names up to 253 characters. */
	{
		char label[80], name[300];

		memset(label, 'a', 63);
		label[63] = '\0';
		CHECK(valid(label));
		label[63] = 'a';
		label[64] = '\0';
		CHECK(!valid(label));
		memset(name, 'a', sizeof(name));
		for (size_t i = 1; i < 253; i += 2)
			name[i] = '.';
		name[253] = '\0';
		CHECK(valid(name));
		name[253] = 'a';
		name[254] = '\0';
		CHECK(!valid(name));
	}
	/* Only the given length counts: "a.example" within a longer line. */
	CHECK(sni_pattern_valid("a.example, *.b", 9, &why));
}

static void
test_match(void)
{
	CHECK(sni_match("a.example", "a.example"));
	CHECK(sni_match("a.example", "A.EXAMPLE"));
	CHECK(!sni_match("a.example", "b.example"));
	CHECK(!sni_match("a.example", "a.example.com"));
	/* RFC 6125 6.4.3: the wildcard is exactly one whole label. */
	CHECK(sni_match("*.b.example", "x.b.example"));
	CHECK(sni_match("*.b.example", "X.B.Example"));
	CHECK(!sni_match("*.b.example", "b.example"));
	CHECK(!sni_match("*.b.example", ".b.example"));
	CHECK(!sni_match("*.b.example", "y.x.b.example"));
	CHECK(!sni_match("*.b.example", "xb.example"));
	CHECK(!sni_match("*.b.example", ""));
}

static void
test_select(void)
{
	char *n0[] = { "*.example.com", "shop.test" };
	char *n1[] = { "www.example.com" };
	char *n2[] = { "*.example.com", "api.example.com" };
	struct tls_cert_spec specs[3];

	memset(specs, 0, sizeof(specs));
	specs[0].server_names = n0;
	specs[0].nserver_names = 2;
	specs[1].server_names = n1;
	specs[1].nserver_names = 1;
	specs[2].server_names = n2;
	specs[2].nserver_names = 2;

	/* An exact name beats a wildcard listed earlier. */
	CHECK_INT(sni_select(specs, 3, "www.example.com"), 1);
	CHECK_INT(sni_select(specs, 3, "api.example.com"), 2);
	/* Among wildcards, the first section wins. */
	CHECK_INT(sni_select(specs, 3, "mail.example.com"), 0);
	CHECK_INT(sni_select(specs, 3, "SHOP.test"), 0);
	/* Nothing matches, or no name sent: the default certificate. */
	CHECK_INT(sni_select(specs, 3, "example.com"), -1);
	CHECK_INT(sni_select(specs, 3, "a.b.example.com"), -1);
	CHECK_INT(sni_select(specs, 3, NULL), -1);
	CHECK_INT(sni_select(specs, 3, ""), -1);
	CHECK_INT(sni_select(specs, 0, "www.example.com"), -1);
}

/* A file that exists and is readable (config.c only checks that; tls.c
 * reads certificates). */
#define FILE_OK UNIT_SRCDIR "/test_sni.c"

static struct config *
load(const char *text, struct config_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return config_load_string("unit.ini", text, errs);
}

static bool
has_error(const struct config_errors *errs, const char *want)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->msgs[i], want) != NULL)
			return true;
	for (size_t i = 0; i < errs->n; i++)
		printf("    error: %s\n", errs->msgs[i]);
	return false;
}

static const char route[] = "[route:e]\npath = /e\nbackend = "
    "127.0.0.1:1\norigins = *\n";

static void
test_config_tls_keys(void)
{
	struct config_errors errs;
	struct config *cfg = load(
	    "[gateway]\n"
	    "listen = 127.0.0.1:8080\n"
	    "listen = 127.0.0.1:8443 tls\n"
	    "tls_cert = " FILE_OK "\n"
	    "tls_key = " FILE_OK "\n"
	    "tls_min_version = TLSv1.3\n"
	    "tls_ciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
	    "tls_client_ca = " FILE_OK "\n"
	    "tls_verify_client = optional\n"
	    "tls_ticket_lifetime = 600\n"
	    "tls_ticket_key_file = " FILE_OK "\n"
	    "[tls:one]\n"
	    "server_names = A.Example *.b.example\n"
	    "    c.example\n"
	    "tls_cert = " FILE_OK "\n"
	    "tls_key = " FILE_OK "\n"
	    "[route:e]\npath = /e\nbackend = 127.0.0.1:1\norigins = *\n"
	    "allowed_client_cns = Jane Doe ,bob, ,x.example\n"
	    "allowed_client_cns = carol\n"
	    "backend_tls = yes\n"
	    "backend_tls_name = backend.test\n", &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg == NULL) {
		has_error(&errs, "(none)");
		config_errors_free(&errs);
		return;
	}
	CHECK_INT(cfg->nlisteners, 2);
	CHECK(!cfg->listeners[0].tls);
	CHECK(cfg->listeners[1].tls);
	CHECK(config_has_tls_listener(cfg));
	CHECK_STR(cfg->tls_default.cert.s, FILE_OK);
	CHECK_INT(cfg->tls_default.cert.where.line, 4);
	CHECK_STR(cfg->tls_default.section, "gateway");
	CHECK_INT(cfg->tls_min_version, 13);
	CHECK_STR(cfg->tls_ciphers.s, "ECDHE-RSA-AES128-GCM-SHA256");
	CHECK(cfg->tls_ciphersuites.s == NULL);
	CHECK(cfg->tls_session_tickets);
	CHECK(cfg->tls_ticket_lifetime == 600);
	CHECK_STR(cfg->tls_ticket_key_file.s, FILE_OK);
	CHECK_INT(cfg->tls_ticket_key_file.where.line, 11);
	CHECK_INT(cfg->tls_verify_client, TLS_VERIFY_OPTIONAL);
	CHECK_INT(cfg->ntls_sni, 1);
	CHECK_STR(cfg->tls_sni[0].section, "tls:one");
	CHECK_INT(cfg->tls_sni[0].nserver_names, 3);
	CHECK_STR(cfg->tls_sni[0].server_names[0], "a.example");
	CHECK_STR(cfg->tls_sni[0].server_names[1], "*.b.example");
	CHECK_STR(cfg->tls_sni[0].server_names[2], "c.example");
	CHECK_INT(cfg->routes[0].nclient_cns, 4);
	CHECK_STR(cfg->routes[0].client_cns[0], "Jane Doe");
	CHECK_STR(cfg->routes[0].client_cns[1], "bob");
	CHECK_STR(cfg->routes[0].client_cns[2], "x.example");
	CHECK_STR(cfg->routes[0].client_cns[3], "carol");
	CHECK(cfg->routes[0].backend_tls);
	CHECK(cfg->routes[0].backend_tls_verify);
	CHECK_STR(cfg->routes[0].backend_tls_name.s, "backend.test");
	/* Nothing built yet: that is tls.c's job. */
	CHECK(cfg->tls == NULL && cfg->tls_free == NULL);
	config_unref(cfg);
	config_errors_free(&errs);
}

static void
test_config_tls_defaults(void)
{
	struct config_errors errs;
	char text[512];
	struct config *cfg;

	snprintf(text, sizeof(text), "[gateway]\nlisten = *:80\n%s", route);
	cfg = load(text, &errs);
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK(!config_has_tls_listener(cfg));
		CHECK_INT(cfg->tls_min_version, 12);
		CHECK_INT(cfg->tls_verify_client, TLS_VERIFY_OFF);
		CHECK(cfg->tls_default.cert.s == NULL);
		CHECK(!cfg->routes[0].backend_tls);
		CHECK(cfg->routes[0].backend_tls_verify);
		/* Resumption on, keys made in memory, a new one hourly. */
		CHECK(cfg->tls_session_tickets);
		CHECK(cfg->tls_ticket_lifetime == 3600);
		CHECK(cfg->tls_ticket_key_file.s == NULL);
		config_unref(cfg);
	}
	config_errors_free(&errs);
}

struct bad_case {
	const char *gateway;	/* [gateway] lines after listen */
	const char *extra;	/* more sections, or route keys */
	const char *error;
};

static void
test_config_tls_errors(void)
{
	static const struct bad_case cases[] = {
		{ "listen = 1.2.3.4:443 tls\n", "",
		  "unit.ini:3: [gateway] listen: \"1.2.3.4:443 tls\" needs the "
		  "default certificate" },
		{ "listen = 1.2.3.4:443 tsl\n", "",
		  "unit.ini:3: [gateway] listen: unexpected \"tsl\"" },
		{ "tls_cert = " FILE_OK "\n", "",
		  "unit.ini:3: [gateway] tls_key: missing" },
		{ "tls_key = " FILE_OK "\n", "",
		  "unit.ini:3: [gateway] tls_cert: missing" },
		{ "tls_cert = nonexistent.pem\n", "",
		  "unit.ini:3: [gateway] tls_cert: ./nonexistent.pem: No such "
		  "file" },
		{ "tls_cert = " UNIT_SRCDIR "\n", "",
		  "unit.ini:3: [gateway] tls_cert: " UNIT_SRCDIR ": a "
		  "directory, not a regular file" },
		{ "tls_cert = /dev/null\n", "",
		  "unit.ini:3: [gateway] tls_cert: /dev/null: a character "
		  "device, not a regular file; give the path of the PEM file "
		  "itself" },
		{ "tls_min_version = 1.1\n", "",
		  "unit.ini:3: [gateway] tls_min_version: \"1.1\": expected 1.2 "
		  "or 1.3" },
		{ "tls_verify_client = maybe\n", "",
		  "unit.ini:3: [gateway] tls_verify_client: \"maybe\": expected "
		  "off, optional or required" },
		{ "tls_verify_client = required\n", "",
		  "[gateway] tls_verify_client: needs tls_client_ca" },
		{ "tls_client_ca = " FILE_OK "\n", "",
		  "unit.ini:3: [gateway] tls_client_ca: client certificates are "
		  "not asked for" },
		{ "tls_session_tickets = no\ntls_ticket_key_file = " FILE_OK
		  "\n", "",
		  "unit.ini:4: [gateway] tls_ticket_key_file: session tickets "
		  "are off (tls_session_tickets = no)" },
		{ "tls_session_tickets = maybe\n", "",
		  "unit.ini:3: [gateway] tls_session_tickets: \"maybe\"" },
		{ "tls_ticket_lifetime = 0\n", "",
		  "unit.ini:3: [gateway] tls_ticket_lifetime: " },
		{ "tls_ticket_lifetime = 86401\n", "",
		  "unit.ini:3: [gateway] tls_ticket_lifetime: " },
		{ "", "[tls:x]\ntls_ticket_lifetime = 60\n",
		  "[tls:x] tls_ticket_lifetime: this key belongs in [gateway]" },
		{ "server_names = a.example\n", "",
		  "unit.ini:3: [gateway] server_names: this key belongs in a "
		  "[tls:NAME] section" },
		{ "backend_tls = yes\n", "",
		  "unit.ini:3: [gateway] backend_tls: this key belongs in a "
		  "[route:NAME] section" },
		{ "", "[tls:]\n", "unit.ini:7: [tls:]: tls needs a name" },
		{ "", "[tls:x]\nserver_names = a.example\n",
		  "[tls:x] tls_cert: missing" },
		{ "", "[tls:x]\ntls_cert = " FILE_OK "\ntls_key = " FILE_OK "\n",
		  "[tls:x] server_names: missing" },
		{ "", "[tls:x]\nserver_names = a.*.example\n",
		  "[tls:x] server_names: \"a.*.example\": \"*\" is only allowed "
		  "as the whole first label" },
		{ "", "[tls:x]\nlisten = 1.2.3.4:1\n",
		  "[tls:x] listen: this key belongs in [gateway]" },
		{ "", "[tls:x]\ntls_min_version = 1.2\n",
		  "[tls:x] tls_min_version: this key belongs in [gateway]" },
		{ "", "[tls:x]\n[tls:x]\n", "[tls:x]: section declared twice" },
		{ "", "[tls:x]\nserver_names = a.example\ntls_cert = " FILE_OK
		  "\ntls_key = " FILE_OK "\n",
		  "[tls:x]: needs the default certificate too" },
		{ "", "allowed_client_cns = alice\n",
		  "[route:e] allowed_client_cns: client certificates are not "
		  "asked for" },
		{ "", "backend_tls_name = x.test\n",
		  "[route:e] backend_tls_name: only used with backend_tls = yes" },
		{ "", "backend_tls_verify = no\n",
		  "[route:e] backend_tls_verify: only used with backend_tls = "
		  "yes" },
		{ "", "backend_tls = yes\nbackend_tls_cert = " FILE_OK "\n",
		  "[route:e] backend_tls_key: missing" },
		{ "", "backend_tls = yes\nbackend_tls_name = *.x.test\n",
		  "[route:e] backend_tls_name: \"*.x.test\": a name, not a "
		  "wildcard" },
		{ "", "backend_tls = perhaps\n",
		  "[route:e] backend_tls: \"perhaps\" is not yes or no" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_errors errs;
		struct config *cfg;
		char text[1024];
		bool sect = strncmp(cases[i].extra, "[tls:", 5) == 0;

		snprintf(text, sizeof(text), "[gateway]\nlisten = *:80\n%s%s%s",
		    cases[i].gateway, sect ? route : "", sect ?
		    cases[i].extra : "");
		if (!sect)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    "%s%s", route, cases[i].extra);
		cfg = load(text, &errs);
		CHECK(cfg == NULL);
		config_unref(cfg);
		if (!has_error(&errs, cases[i].error))
			printf("    case %zu: want \"%s\"\n", i, cases[i].error);
		CHECK(has_error(&errs, cases[i].error));
		config_errors_free(&errs);
	}
}

static void
test_config_duplicate_server_names(void)
{
	struct config_errors errs;
	struct config *cfg = load(
	    "[gateway]\nlisten = *:443 tls\n"
	    "tls_cert = " FILE_OK "\ntls_key = " FILE_OK "\n"
	    "[tls:a]\nserver_names = x.example\n"
	    "tls_cert = " FILE_OK "\ntls_key = " FILE_OK "\n"
	    "[tls:b]\ntls_cert = " FILE_OK "\ntls_key = " FILE_OK "\n"
	    "server_names = y.example X.Example\n"
	    "[route:e]\npath = /e\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);

	CHECK(cfg == NULL);
	config_unref(cfg);
	CHECK(has_error(&errs, "unit.ini:12: [tls:b] server_names: "
	    "\"x.example\" is already listed in [tls:a] at unit.ini:5"));
	config_errors_free(&errs);
}

/* RFC 6066 3 server_name bodies, as OpenSSL reads them. */
static int
ext(const char *bytes, size_t n, char *out)
{
	return sni_from_extension((const unsigned char *)bytes, n, out, 256);
}

static void
test_from_extension(void)
{
	char out[256], big[2 + 3 + 256];

	CHECK_INT(ext("\x00\x0c\x00\x00\x09" "a.example", 14, out), 0);
	CHECK_STR(out, "a.example");
	CHECK_INT(ext("\x00\x04\x00\x00\x01x", 6, out), 0);
	CHECK_STR(out, "x");
	/* One byte at a time shorter: never read past the end. */
	for (size_t n = 0; n < 14; n++)
		CHECK_INT(ext("\x00\x0c\x00\x00\x09" "a.example", n, out),
		    CODEC_ERROR);
	/* One byte longer than the list says. */
	CHECK_INT(ext("\x00\x0c\x00\x00\x09" "a.examplez", 15, out),
	    CODEC_ERROR);
	/* Not a host_name; an empty name; a NUL in it; two entries. */
	CHECK_INT(ext("\x00\x0c\x01\x00\x09" "a.example", 14, out), CODEC_ERROR);
	CHECK_INT(ext("\x00\x03\x00\x00\x00", 5, out), CODEC_ERROR);
	CHECK_INT(ext("\x00\x0c\x00\x00\x09" "a.ex\0mple", 14, out), CODEC_ERROR);
	CHECK_INT(ext("\x00\x08\x00\x00\x01x\x00\x00\x01y", 10, out),
	    CODEC_ERROR);
	/* 255 bytes is the longest name. */
	memset(big, 'a', sizeof(big));
	big[0] = 0x01;
	big[1] = 0x02;	/* 258 = 3 + 255 */
	big[2] = 0;
	big[3] = 0;
	big[4] = (char)255;
	CHECK_INT(ext(big, 2 + 258, out), 0);
	CHECK_INT(strlen(out), 255);
	big[1] = 0x03;
	big[4] = 0;
	big[3] = 1;	/* 256 */
	CHECK_INT(ext(big, 2 + 259, out), CODEC_ERROR);
	/* No room for the longest name: refused, whatever the input. */
	CHECK_INT(sni_from_extension((const unsigned char *)"\x00\x04\x00\x00"
	    "\x01x", 6, out, 255), CODEC_ERROR);
}

int
main(void)
{
	RUN(test_pattern_valid);
	RUN(test_match);
	RUN(test_select);
	RUN(test_from_extension);
	RUN(test_config_tls_keys);
	RUN(test_config_tls_defaults);
	RUN(test_config_tls_errors);
	RUN(test_config_duplicate_server_names);
	return tl_summary("unit/sni");
}
