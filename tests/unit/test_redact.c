/* test_redact.c -- unit tests for keeping secrets out of logs: query parameters, header names, subprotocols */
#include "redact.h"
#include "testlib.h"

static char out[512];

static const char *
target(const char *t)
{
	static const char *const extra[] = { "vnc_pw" };

	return redact_target(out, sizeof(out), t, strlen(t), extra, 1);
}

static void
test_names(void)
{
	static const char *const secret[] = {
		"token", "access_token", "id_token", "refresh_token", "TOKEN",
		"X-Auth-Token", "Authorization", "Proxy-Authorization",
		"Cookie", "Set-Cookie", "X-Api-Key", "api_key", "apikey",
		"password", "passwd", "Passphrase", "secret", "client_secret",
		"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
		"PHPSESSID", "session", "jwt", "ticket", "sig", "sid", "pwd",
		"pass", "code", "otp", "%74oken", "%54OKEN", "tok%65n", "auth",
		"oauth_verifier", "bearer", "vnc_pw", "VNC-PW",
	};
	static const char *const plain[] = {
		"path", "host", "port", "resize", "autoconnect", "encrypt",
		"view_only", "scale", "Origin", "User-Agent", "Host", "x",
		"", "sigma", "codec", "%zz", "frame",
	};
	static const char *const extra[] = { "vnc_pw" };
	char longname[REDACT_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (!redact_name(secret[i], strlen(secret[i]), extra, 1)) {
			fprintf(stderr, "    not secret: %s\n", secret[i]);
			CHECK(0);
		}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (redact_name(plain[i], strlen(plain[i]), extra, 1)) {
			fprintf(stderr, "    secret: %s\n", plain[i]);
			CHECK(0);
		}
	/* Hiding errs wide: a harmless name may be hidden too. */
	CHECK(redact_name("bypass", 6, NULL, 0));
	CHECK(redact_name("monkey", 6, NULL, 0));
	CHECK(!redact_name("vnc_pw", 6, NULL, 0));
	memset(longname, 'a', sizeof(longname));
	CHECK(redact_name(longname, sizeof(longname), NULL, 0));
	CHECK(!redact_name(longname, REDACT_NAME_MAX, NULL, 0));
}

static void
test_targets(void)
{
	CHECK_STR(target("/websockify"), "/websockify");
	CHECK_STR(target("/websockify?token=abc123"),
	    "/websockify?token=REDACTED");
	CHECK_STR(target("/ws?path=x&token=abc&resize=1"),
	    "/ws?path=x&token=REDACTED&resize=1");
	CHECK_STR(target("/ws?a=1;access_token=xyz;b=2"),
	    "/ws?a=1;access_token=REDACTED;b=2");
	CHECK_STR(target("/ws?Token=a&TOKEN=b&%74oken=c"),
	    "/ws?Token=REDACTED&TOKEN=REDACTED&%74oken=REDACTED");
	CHECK_STR(target("/ws?vnc_pw=hunter2&host=h"),
	    "/ws?vnc_pw=REDACTED&host=h");
	/* Empty values, bare names, empty pairs, '=' in the value. */
	CHECK_STR(target("/ws?token=&x&&token"),
	    "/ws?token=REDACTED&x&&token");
	CHECK_STR(target("/ws?token=a=b=c&q=1"), "/ws?token=REDACTED&q=1");
	CHECK_STR(target("/ws?"), "/ws?");
	CHECK_STR(target("/ws?&"), "/ws?&");
	/* A fragment never reaches a server; dropped all the same. */
	CHECK_STR(target("/ws?token=a#frag"), "/ws?token=REDACTED");
	CHECK_STR(target("/ws#token=a"), "/ws");
	/* The path is not a query. */
	CHECK_STR(target("/token=abc/ws"), "/token=abc/ws");
	/* Length, not NUL. */
	CHECK_STR(redact_target(out, sizeof(out), "/a?token=x\0yz", 13, NULL,
	    0), "/a?token=REDACTED");
}

/* Short buffers: NUL-terminated, cut with "...", never a secret's
 * bytes (the value is replaced before anything is cut). */
static void
test_cuts(void)
{
	static const char t[] = "/ws?token=SECRETSECRET&host=example.org";
	char full[128];

	redact_target(full, sizeof(full), t, sizeof(t) - 1, NULL, 0);
	CHECK_STR(full, "/ws?token=REDACTED&host=example.org");
	for (size_t size = 0; size < sizeof(full); size++) {
		char buf[130];
		size_t n;

		memset(buf, 'Z', sizeof(buf));
		redact_target(buf, size, t, sizeof(t) - 1, NULL, 0);
		if (size == 0) {
			CHECK(buf[0] == 'Z');
			continue;
		}
		n = strlen(buf);
		CHECK(n < size);
		CHECK(buf[size] == 'Z');
		CHECK(strstr(buf, "SECRET") == NULL);
		if (strcmp(buf, full) != 0) {
			if (size >= 4) {
				CHECK(n >= 3 && strcmp(buf + n - 3, "...") == 0);
				CHECK(memcmp(buf, full, n - 3) == 0);
			} else {
				CHECK_INT(n, 0);
			}
		}
	}
}

static void
test_subprotocols(void)
{
	char buf[256];
	const char *k8s = "base64.binary.k8s.io, "
	    "base64url.bearer.authorization.k8s.io.ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkluQXRRalZOVjBOWFMzaEtXVzFaUVcxVVJrRk5hVkZRYjJoRlNIUkpNalpSZFdjM1JGWllhemd4VmxraWZRLmV5SnBjM01pT2lKcmRXSmxjbTVsZEdWekwzTmxjblpwWTJWaFkyTnZkVzUwSWl3aWEzVmlaWEp1WlhSbGN5NXBieTl6WlhKMmFXTmxZV05qYjNWdWRDOXVZVzFsYzNCaFkyVWlPaUprWldaaGRXeDBJbjA=";

	CHECK_STR(redact_subprotocols(buf, sizeof(buf), k8s, strlen(k8s)),
	    "base64.binary.k8s.io, REDACTED");
	CHECK_STR(redact_subprotocols(buf, sizeof(buf), "binary, chat", 12),
	    "binary, chat");
	CHECK_STR(redact_subprotocols(buf, sizeof(buf), " Bearer.x ,v2", 13),
	    " REDACTED ,v2");
	CHECK_STR(redact_subprotocols(buf, sizeof(buf), "access_token.abc", 16),
	    "REDACTED");
	CHECK_STR(redact_subprotocols(buf, sizeof(buf), "", 0), "");
	CHECK_STR(redact_subprotocols(buf, sizeof(buf), ",,", 2), ",,");
}

int
main(void)
{
	RUN(test_names);
	RUN(test_targets);
	RUN(test_cuts);
	RUN(test_subprotocols);
	return tl_summary("unit/redact");
}
