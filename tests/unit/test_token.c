/* test_token.c -- unit tests for tokens, targets, and finding the token in a request (query, cookie, Host) */
#include "testlib.h"

#include "token.h"

static void
test_token_valid(void)
{
	char big[TOKEN_MAX + 2];
	const char *why = NULL;

	CHECK(token_valid("vm1", 3, &why) && why == NULL);
	CHECK(token_valid("550e8400-e29b-41d4-a716-446655440000", 36, &why));
	/* websockify takes any string: spaces, ':' and UTF-8 too. */
	CHECK(token_valid("my token", 8, &why));
	CHECK(token_valid("a:b", 3, &why));
	CHECK(token_valid("caf\xc3\xa9", 5, &why));
	CHECK(!token_valid("", 0, &why));
	CHECK_STR(why, "empty token");
	CHECK(!token_valid("a\nb", 3, &why));
	CHECK_STR(why, "token contains a control character");
	CHECK(!token_valid("a\0b", 3, &why));
	CHECK(!token_valid("a\x7f", 2, &why));
	CHECK(!token_valid("\t", 1, &why));
	memset(big, 'x', sizeof(big));
	CHECK(token_valid(big, TOKEN_MAX, &why));
	CHECK(!token_valid(big, TOKEN_MAX + 1, &why));
	CHECK_STR(why, "token longer than 256 bytes");

	CHECK(token_filename_valid("vm1.sock", 8, &why));
	CHECK(!token_filename_valid("a/b", 3, &why));
	CHECK_STR(why, "token contains '/'");
	CHECK(!token_filename_valid("..", 2, &why));
	CHECK(!token_filename_valid(".", 1, &why));
	CHECK(!token_filename_valid(".vm1.swp", 8, &why));
	CHECK_STR(why, "token starts with '.'");
	CHECK(!token_filename_valid("", 0, &why));
}

static void
test_port_parse(void)
{
	static const char *const bad[] = {
		"", "0", "65536", "99999", "123456", "+1", "-1", " 1", "1 ",
		"0x10", "5900a", "00000",
	};
	uint16_t port = 7;

	CHECK_INT(token_port_parse("1", 1, &port), 0);
	CHECK_INT(port, 1);
	CHECK_INT(token_port_parse("65535", 5, &port), 0);
	CHECK_INT(port, 65535);
	CHECK_INT(token_port_parse("05900", 5, &port), 0);
	CHECK_INT(port, 5900);
	/* Only the given length counts. */
	CHECK_INT(token_port_parse("59001", 4, &port), 0);
	CHECK_INT(port, 5900);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		port = 7;
		if (token_port_parse(bad[i], strlen(bad[i]), &port) !=
		    CODEC_ERROR || port != 7) {
			fprintf(stderr, "    port \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
}

static void
test_target_parse(void)
{
	static const struct {
		const char *in;
		enum token_target_kind kind;
		const char *host;
		unsigned port;
	} ok[] = {
		{ "vm1:5900", TOKEN_TARGET_TCP, "vm1", 5900 },
		{ "10.0.0.5:5901", TOKEN_TARGET_TCP, "10.0.0.5", 5901 },
		{ "vm-1.lab_a.example.:22", TOKEN_TARGET_TCP,
		  "vm-1.lab_a.example.", 22 },
		/* IPv6: bracketed, or websockify's split at the last ':'. */
		{ "[::1]:5900", TOKEN_TARGET_TCP, "::1", 5900 },
		{ "::1:5900", TOKEN_TARGET_TCP, "::1", 5900 },
		{ "fe80::1%eth0:22", TOKEN_TARGET_TCP, "fe80::1%eth0", 22 },
		{ "[fe80::1%eth0]:22", TOKEN_TARGET_TCP, "fe80::1%eth0", 22 },
		{ "[::ffff:10.0.0.1]:1", TOKEN_TARGET_TCP, "::ffff:10.0.0.1",
		  1 },
		{ "unix_socket:/run/vnc/vm1.sock", TOKEN_TARGET_UNIX,
		  "/run/vnc/vm1.sock", 0 },
		/* A ':' in the path is fine (websockify's rsplit is not). */
		{ "unix_socket:/run/a:b", TOKEN_TARGET_UNIX, "/run/a:b", 0 },
		{ "unix_socket:/s", TOKEN_TARGET_UNIX, "/s", 0 },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "vm1", "target must be host:port, [ipv6]:port or "
			 "unix_socket:/path" },
		{ "vm1:", "port must be a number from 1 to 65535" },
		{ "vm1:0", "port must be a number from 1 to 65535" },
		{ "vm1:65536", "port must be a number from 1 to 65535" },
		{ "vm1:http", "port must be a number from 1 to 65535" },
		{ ":5900", "empty host" },
		{ "[]:5900", "empty host" },
		{ "vm 1:5900", "host has a character other than letters, "
			       "digits, '.', '-' and '_'" },
		{ "vm1/x:5900", "host has a character other than letters, "
				"digits, '.', '-' and '_'" },
		{ "-vm1:5900", "host starts with '-' or '.'" },
		{ "a:b:1", "host is not a valid IPv6 address" },
		{ "[vm1]:1", "host is not a valid IPv6 address" },
		{ "[::1]5900", "port must be a number from 1 to 65535" },
		{ "fe80::1%:22", "host is not a valid IPv6 address" },
		{ "[::g]:1", "host is not a valid IPv6 address" },
		{ "unix_socket:run/vnc.sock", "unix socket path must be "
					      "absolute" },
		{ "unix_socket:", "unix socket path must be absolute" },
		{ "unix_socket:/", "unix socket path must be normalised (no //, "
				   "/./, /../ or final /)" },
		{ "unix_socket:/run//a", "unix socket path must be normalised "
					 "(no //, /./, /../ or final /)" },
		{ "unix_socket:/run/../etc/a", "unix socket path must be "
			"normalised (no //, /./, /../ or final /)" },
		{ "unix_socket:/run/./a", "unix socket path must be normalised "
					  "(no //, /./, /../ or final /)" },
		{ "unix_socket:/run/a/", "unix socket path must be normalised "
					 "(no //, /./, /../ or final /)" },
		{ "unix_socket:/run/..", "unix socket path must be normalised "
					 "(no //, /./, /../ or final /)" },
		{ "unix_socket:/a\tb", "unix socket path contains a control "
				       "character" },
	};
	struct token_target t;
	const char *why;
	char buf[400];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = token_target_parse(ok[i].in, strlen(ok[i].in), &t,
		    &why);

		if (rc != 0 || t.kind != ok[i].kind ||
		    t.host_len != strlen(ok[i].host) ||
		    memcmp(t.host, ok[i].host, t.host_len) != 0 ||
		    t.port != ok[i].port) {
			fprintf(stderr, "    target \"%s\": rc %d why %s\n",
			    ok[i].in, rc, rc != 0 ? why : "-");
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (token_target_parse(bad[i].in, strlen(bad[i].in), &t,
		    &why) != CODEC_ERROR || why == NULL ||
		    strcmp(why, bad[i].why) != 0) {
			fprintf(stderr, "    target \"%s\": why %s\n", bad[i].in,
			    why != NULL ? why : "(none)");
			CHECK(0);
		}
	}
	/* Limits: host 253 bytes, unix path 107 bytes. */
	memset(buf, 'a', 253);
	memcpy(buf + 253, ":1", 3);
	CHECK_INT(token_target_parse(buf, strlen(buf), &t, &why), 0);
	CHECK_INT(t.host_len, 253);
	memset(buf, 'a', 254);
	memcpy(buf + 254, ":1", 3);
	CHECK_INT(token_target_parse(buf, strlen(buf), &t, &why), CODEC_ERROR);
	CHECK_STR(why, "host longer than 253 bytes");
	memcpy(buf, "unix_socket:/", 13);
	memset(buf + 13, 'p', 106);
	buf[13 + 106] = '\0';
	CHECK_INT(token_target_parse(buf, strlen(buf), &t, &why), 0);
	CHECK_INT(t.host_len, 107);
	buf[13 + 106] = 'p';
	buf[13 + 107] = '\0';
	CHECK_INT(token_target_parse(buf, strlen(buf), &t, &why), CODEC_ERROR);
	CHECK_STR(why, "unix socket path longer than 107 bytes");
	/* token_target_tcp takes the port as a number. */
	CHECK_INT(token_target_tcp("vm1", 3, 70000, &t, &why), CODEC_ERROR);
	CHECK_INT(token_target_tcp("vm1", 3, 0, &t, &why), CODEC_ERROR);
	CHECK_INT(token_target_tcp("[::1]", 5, 80, &t, &why), 0);
	CHECK_INT(t.host_len, 3);
	CHECK_MEM(t.host, "::1", 3);
}

/* token_from_query into a buffer of TOKEN_MAX + 1. */
static int
query(const char *target, char *out)
{
	const char *why = NULL;
	int rc = token_from_query(target, strlen(target), out, TOKEN_MAX + 1,
	    &why);

	if (rc == CODEC_ERROR && why == NULL)
		return -100;	/* an error must say why */
	return rc;
}

static void
test_from_query(void)
{
	/* Compared with Python 3.11's parse_qs(urlparse(path)[4]). */
	static const struct {
		const char *target, *token;
	} found[] = {
		{ "/websockify?token=vm1", "vm1" },
		{ "/?a=1&token=vm1&token=vm2", "vm1" },
		{ "/?token=&token=vm2", "vm2" },
		{ "/?token&token=vm2", "vm2" },
		{ "/?tok%65n=vm1", "vm1" },
		{ "/?token=a%20b+c", "a b c" },
		{ "/?token=a%26b", "a&b" },
		{ "/?token=a;b", "a;b" },
		{ "/?token=%zz", "%zz" },
		{ "/?token=ab%2", "ab%2" },
		{ "/?token=ab%", "ab%" },
		{ "/?token=vm1%0A", "vm1" },
		{ "/?token=vm1%0A%0a", "vm1" },
		{ "/?token=vm1#frag", "vm1" },
		{ "/?token==x", "=x" },
		{ "http://gw.example/websockify?token=vm1", "vm1" },
		{ "/?token=caf%C3%A9", "caf\xc3\xa9" },
		{ "/?&&token=x&&", "x" },
	};
	static const char *const none[] = {
		"/websockify", "/websockify?", "/?other=1", "/?tokenx=1&xtoken=2",
		"/?token=", "/?token", "/#?token=vm1", "/?TOKEN=vm1", "",
	};
	char out[TOKEN_MAX + 1], big[TOKEN_MAX + 64];
	const char *why;

	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		int rc = query(found[i].target, out);

		if (rc != (int)strlen(found[i].token) ||
		    strcmp(out, found[i].token) != 0) {
			fprintf(stderr, "    query \"%s\": rc %d\n",
			    found[i].target, rc);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		if (query(none[i], out) != 0) {
			fprintf(stderr, "    query \"%s\"\n", none[i]);
			CHECK(0);
		}
	}
	CHECK_INT(query("/?token=a%0Ab", out), CODEC_ERROR);
	CHECK_INT(token_from_query("/?token=a%00", 12, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "token contains a control character");
	CHECK_INT(token_from_query("/?token=%0A", 11, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "empty token");
	/* Length: TOKEN_MAX fits a buffer of TOKEN_MAX + 1, one more not. */
	memcpy(big, "/?token=", 8);
	memset(big + 8, 't', TOKEN_MAX);
	big[8 + TOKEN_MAX] = '\0';
	CHECK_INT(query(big, out), TOKEN_MAX);
	big[8 + TOKEN_MAX] = 't';
	big[9 + TOKEN_MAX] = '\0';
	CHECK_INT(token_from_query(big, strlen(big), out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "token too long");
	/* %-escapes count after decoding: 256 "%41" are 256 bytes. */
	{
		char enc[8 + 3 * TOKEN_MAX + 1];

		memcpy(enc, "/?token=", 8);
		for (size_t i = 0; i < TOKEN_MAX; i++)
			memcpy(enc + 8 + 3 * i, "%41", 3);
		enc[8 + 3 * TOKEN_MAX] = '\0';
		CHECK_INT(query(enc, out), TOKEN_MAX);
		CHECK(out[0] == 'A' && out[TOKEN_MAX - 1] == 'A');
	}
	/* Only the given length is read. */
	CHECK_INT(token_from_query("/?token=vm1&x", 11, out, sizeof(out), &why),
	    3);
	CHECK_STR(out, "vm1");
	/* A tiny buffer: the token does not fit. */
	CHECK_INT(token_from_query("/?token=vm1", 11, out, 3, &why),
	    CODEC_ERROR);
	CHECK_INT(token_from_query("/?token=vm1", 11, out, 4, &why), 3);
}

static int
cookie(const char *h, char *out)
{
	const char *why = NULL;
	int rc = token_from_cookie(h, strlen(h), out, TOKEN_MAX + 1, &why);

	if (rc == CODEC_ERROR && why == NULL)
		return -100;
	return rc;
}

static void
test_from_cookie(void)
{
	static const struct {
		const char *header, *token;
	} found[] = {
		{ "token=vm1", "vm1" },
		{ "a=1; token=vm1; token=vm2", "vm1" },
		{ "a=1;token=vm1", "vm1" },
		{ "token=; token=vm2", "vm2" },
		{ "  token = vm1  ", "vm1" },
		{ "token=\"vm1\"", "vm1" },
		{ "token=a%20b", "a%20b" },	/* opaque: no %-decoding */
		{ "token=a=b", "a=b" },
		{ "novnc=1; token=vm1", "vm1" },
	};
	static const char *const none[] = {
		"", "a=b", "Token=vm1", "xtoken=vm1", "token", "token=",
		"token=\"\"", ";;;", "tokenvm1",
	};
	char out[TOKEN_MAX + 1], big[TOKEN_MAX + 16];
	const char *why;

	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		int rc = cookie(found[i].header, out);

		if (rc != (int)strlen(found[i].token) ||
		    strcmp(out, found[i].token) != 0) {
			fprintf(stderr, "    cookie \"%s\": rc %d\n",
			    found[i].header, rc);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		if (cookie(none[i], out) != 0) {
			fprintf(stderr, "    cookie \"%s\"\n", none[i]);
			CHECK(0);
		}
	}
	CHECK_INT(cookie("token=a\x01" "b", out), CODEC_ERROR);
	memcpy(big, "token=", 6);
	memset(big + 6, 'c', TOKEN_MAX + 1);
	big[6 + TOKEN_MAX + 1] = '\0';
	CHECK_INT(token_from_cookie(big, strlen(big), out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "token too long");
	big[6 + TOKEN_MAX] = '\0';
	CHECK_INT(cookie(big, out), TOKEN_MAX);
}

static void
test_from_host(void)
{
	static const struct {
		const char *host, *token;
	} found[] = {
		{ "vm1.example.com", "vm1.example.com" },
		{ "vm1.example.com:8080", "vm1.example.com" },
		{ "VM1.Example.com", "VM1.Example.com" },	/* as sent */
		{ "[::1]:8080", "[::1]" },
		{ "[::1]", "[::1]" },
		{ " vm1 ", "vm1" },
	};
	char out[TOKEN_MAX + 1];
	const char *why;

	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		int rc = token_from_host(found[i].host, strlen(found[i].host),
		    out, sizeof(out), &why);

		if (rc != (int)strlen(found[i].token) ||
		    strcmp(out, found[i].token) != 0) {
			fprintf(stderr, "    host \"%s\": rc %d\n",
			    found[i].host, rc);
			CHECK(0);
		}
	}
	CHECK_INT(token_from_host("", 0, out, sizeof(out), &why), 0);
	CHECK_INT(token_from_host("  ", 2, out, sizeof(out), &why), 0);
	CHECK_INT(token_from_host(":80", 3, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "empty token");
	CHECK_INT(token_from_host("[::1:80", 7, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "Host has '[' without ']'");
	CHECK_INT(token_from_host("a\x7f" "b", 3, out, sizeof(out), &why),
	    CODEC_ERROR);
}

static void
test_log_tag(void)
{
	char tag[TOKEN_TAG_LEN + 1];

	/* SHA-256("abc") = ba7816bf 8f01cfea ... (FIPS 180-2 B.1) */
	token_log_tag("abc", 3, tag);
	CHECK_STR(tag, "ba7816bf8f01");
	token_log_tag("", 0, tag);
	CHECK_STR(tag, "e3b0c44298fc");
}

int
main(void)
{
	RUN(test_token_valid);
	RUN(test_port_parse);
	RUN(test_target_parse);
	RUN(test_from_query);
	RUN(test_from_cookie);
	RUN(test_from_host);
	RUN(test_log_tag);
	return tl_summary("unit/token");
}
