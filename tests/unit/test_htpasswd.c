/* test_htpasswd.c -- unit tests for htpasswd files: syntax, each hash type accepted or refused with its line, costs, lookups, crypt_r checks */
#include <time.h>

#include "htpasswd.h"
#include "testlib.h"

/*
 * Hashes of "correct horse battery staple" made with Debian 12's tools:
 * mkpasswd (whois 5.5.17, libxcrypt 4.4.33) and htpasswd (apache2-utils
 * 2.4): the command is beside each.
 */
#define PW "correct horse battery staple"
/* mkpasswd -m yescrypt */
#define Y "$y$j9T$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0JeYuo2SyDbVNJkDYR1iwgBa0"
/* mkpasswd -m yescrypt -R 7: 64 MiB, the most accepted */
#define Y7 "$y$jBT$9lBZ/EkdgACVP4kt3XHlB/$iz.DW5W4AZmGLf3JWSIir5aJMFi8VfmZbQCFuDBHSQ1"
/* mkpasswd -m yescrypt -R 8: 128 MiB */
#define Y8 "$y$jCT$jkFLJtcNKLE6LYqSiLy0n1$WQKOOGwZB50RzDfcd9kDHEHpB0co3eTf1.4pCuW9kf/"
/* htpasswd -nbB (cost 5, $2y$) */
#define B2Y "$2y$05$tXksR2QAw50O3KGmR4ZmrO251456kzpHINCwp/3etJlmb3P4MkbJS"
/* mkpasswd -m bcrypt */
#define B2B "$2b$05$OdKIRZ4gYAXeEu947fLIVevRigeFJZlw5DWQ0jvS/q3nYMxLCz3JG"
/* mkpasswd -m bcrypt-a */
#define B2A "$2a$05$LaNhTB7eut0f4ZPPBusC8uGkEoE5uiFlBt2Rph8O9IQcYTUpEorlK"
/* htpasswd -nbB -C 13: the most accepted */
#define B13 "$2y$13$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml99PKO2RAJilo6q"
/* mkpasswd -m sha512crypt */
#define S6 "$6$PXCP5XRXHqYwoYTb$Qu.dXsVPXXoucI1mXlkhfwpJ8NpOBTgnPMcuuIWDd9jYNHhxL04kqKV6ElpwUaFLNAxkawfyhe6Hrt8.TQRQk."
/* mkpasswd -m sha512crypt -R 10000 */
#define S6R "$6$rounds=10000$UQVXgYbUkokfn/m7$CZhCgMZHdKlZkabThKnIqCVolltcqNPqPsfe1p.iS1uA9PoshYMKH1gj3rBhLTbs8pGtprVaWzN2WCV3EqRoG/"
/* mkpasswd -m sha512crypt -R 1000000: the most accepted */
#define S6MAX "$6$rounds=1000000$mXYbeaAwRz7CVr6o$Lsqdi0yJl1Ps6hV36jiJxhYMJNkIYO2FZKaSea3YVCE396GdpK79j2RCu.j0k.CMvil.uXwrrx.Pg8bBZ.QZw/"
/* Refused: */
#define S5 "$5$qiQYJs9itA/xVYv8$G5YxLx1SOQlhjmdWLw.UrkOfUXlGbBzEhEJTUfEH9wB" /* htpasswd -2 */
#define APR "$apr1$8pZIYpFp$1LvWn82Q1NTPVa2ftXrk40"	/* htpasswd -m */
#define SHA "{SHA}q/eq1kOINtvlJqojGr3i0O73TUI="		/* htpasswd -s */
#define DES "HWCB8XDZ2qnTc"				/* htpasswd -d */
#define MD5 "$1$G8fv9pMk$QXHG0cgO4XWi1v6aTmVyg."		/* mkpasswd -m md5crypt */
#define GY "$gy$j9T$H1bcCwRKwV.fgQ6F08LIi1$7z4lyXjnzJXzYro6Eq5DstAd7fUd0j4mpCrINr2/tc3"
#define SC "$7$CU..../....FnRmklFupHAAF6itVlBR6.$Qv2EdKInP84jrQQdq25IHLisaaNA4gL0ialQAGETMiB"
#define NT "$3$$1b9d5effd34ac283c8efe2eacaea8bbc"

static struct htpasswd *
parse(const char *text, struct htpasswd_error *err)
{
	return htpasswd_parse(text, strlen(text), err);
}

/* The formatted error for text, or "ok N" with the user count. */
static const char *
outcome(const char *text, char *out, size_t size)
{
	struct htpasswd_error err;
	struct htpasswd *t = parse(text, &err);

	if (t == NULL) {
		CHECK(err.why != NULL);
		return htpasswd_error_format(&err, out, size);
	}
	snprintf(out, size, "ok %zu", htpasswd_count(t));
	htpasswd_free(t);
	return out;
}

/* Whether the outcome starts with want. */
#define CHECK_OUTCOME(text, want)                                             \
	do {                                                                  \
		char ob[512];                                                 \
		const char *o = outcome((text), ob, sizeof(ob));              \
		if (strncmp(o, (want), strlen(want)) != 0) {                  \
			char tb[700];                                         \
			snprintf(tb, sizeof(tb), "got \"%s\", want \"%s...\"", \
			    o, (want));                                       \
			tl_fail_at(__FILE__, __LINE__, tb);                   \
		}                                                             \
	} while (0)

static void
test_accepted_kinds(void)
{
	static const struct {
		const char *hash;
		enum htpasswd_kind kind;
	} ok[] = {
		{ Y, HTPASSWD_YESCRYPT }, { Y7, HTPASSWD_YESCRYPT },
		{ B2Y, HTPASSWD_BCRYPT }, { B2B, HTPASSWD_BCRYPT },
		{ B2A, HTPASSWD_BCRYPT }, { B13, HTPASSWD_BCRYPT },
		{ S6, HTPASSWD_SHA512 }, { S6R, HTPASSWD_SHA512 },
		{ S6MAX, HTPASSWD_SHA512 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum htpasswd_kind k = (enum htpasswd_kind)99;
		const char *why = "x";

		if (htpasswd_check_hash(ok[i].hash, strlen(ok[i].hash), &k,
		    &why) != 0) {
			tl_fail_at(__FILE__, __LINE__, ok[i].hash);
			fprintf(stderr, "    why: %s\n", why);
			continue;
		}
		CHECK(why == NULL);
		CHECK_INT(k, ok[i].kind);
	}
	CHECK_STR(htpasswd_kind_name(HTPASSWD_YESCRYPT), "yescrypt");
	CHECK_STR(htpasswd_kind_name(HTPASSWD_BCRYPT), "bcrypt");
	CHECK_STR(htpasswd_kind_name(HTPASSWD_SHA512), "sha512crypt");
}

static void
test_refused_kinds(void)
{
	/* Each with its line number and a hint to regenerate. */
	CHECK_OUTCOME("# users\nbob:" S5 "\n", "line 2: SHA-256-crypt ($5$) "
	    "is refused as weak");
	CHECK_OUTCOME("bob:" APR "\n", "line 1: Apache MD5 ($apr1$, "
	    "htpasswd -m) is weak; make a hash with `mkpasswd -m yescrypt` "
	    "or `htpasswd -B FILE USER`");
	CHECK_OUTCOME("bob:" SHA "\n", "line 1: unsalted SHA-1 ({SHA}, "
	    "htpasswd -s) is weak");
	CHECK_OUTCOME("bob:{SSHA}abcdefgh\n", "line 1: unsalted SHA-1");
	CHECK_OUTCOME("bob:" DES "\n", "line 1: DES crypt (htpasswd -d), or "
	    "a plain-text password");
	CHECK_OUTCOME("bob:" MD5 "\n", "line 1: MD5-crypt ($1$) is weak");
	CHECK_OUTCOME("bob:" GY "\n", "line 1: unsupported hash type");
	CHECK_OUTCOME("bob:" SC "\n", "line 1: unsupported hash type");
	CHECK_OUTCOME("bob:" NT "\n", "line 1: unsupported hash type");
	/* Plain text, as htpasswd -p writes it, and other guesses. */
	CHECK_OUTCOME("\n\nbob:secret\n", "line 3: plain-text password (or "
	    "an unknown hash format): passwords must be stored hashed; make "
	    "a hash with");
	CHECK_OUTCOME("bob:" PW "\n", "line 1: plain-text password");
	CHECK_OUTCOME("bob:\n", "line 1: empty password hash");
	CHECK_OUTCOME("bob: " Y "\n", "line 1: blank after ':'");
}

static void
test_costs(void)
{
	CHECK_OUTCOME("bob:" Y8 "\n", "line 1: yescrypt cost too high: each "
	    "login would need more than 64 MiB");
	CHECK_OUTCOME("bob:$2y$14$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml99PK"
	    "O2RAJilo6q\n", "line 1: bcrypt cost too high");
	CHECK_OUTCOME("bob:$2y$31$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml99PK"
	    "O2RAJilo6q\n", "line 1: bcrypt cost too high");
	CHECK_OUTCOME("bob:$2y$32$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml99PK"
	    "O2RAJilo6q\n", "line 1: malformed bcrypt hash (cost must be");
	CHECK_OUTCOME("bob:$2y$03$oxTBj4vpZsc9LVj4Y14IYubSQsJ0b0OdmSZ2Tml99PK"
	    "O2RAJilo6q\n", "line 1: malformed bcrypt hash (cost must be");
	CHECK_OUTCOME("bob:$6$rounds=1000001$mXYbeaAwRz7CVr6o$Lsqdi0yJl1Ps6hV"
	    "36jiJxhYMJNkIYO2FZKaSea3YVCE396GdpK79j2RCu.j0k.CMvil.uXwrrx.Pg8"
	    "bBZ.QZw/\n", "line 1: SHA-512-crypt rounds too high");
	CHECK_OUTCOME("bob:$6$rounds=99999999999999999999$mXYbeaAwRz7CVr6o$Ls"
	    "qdi0yJl1Ps6hV36jiJxhYMJNkIYO2FZKaSea3YVCE396GdpK79j2RCu.j0k.CMvi"
	    "l.uXwrrx.Pg8bBZ.QZw/\n", "line 1: SHA-512-crypt rounds too high");
	/* yescrypt with N = 2^31 (parameter character 'U'). */
	CHECK_OUTCOME("bob:$y$jUT$9lBZ/EkdgACVP4kt3XHlB/$iz.DW5W4AZmGLf3JWSIi"
	    "r5aJMFi8VfmZbQCFuDBHSQ1\n", "line 1: yescrypt cost too high");
	/* Small r and N: cheap, but libxcrypt's to judge; accepted. */
	CHECK_OUTCOME("bob:$y$j75$9lBZ/EkdgACVP4kt3XHlB/$iz.DW5W4AZmGLf3JWSIi"
	    "r5aJMFi8VfmZbQCFuDBHSQ1\n", "ok 1");
}

static void
test_malformed_hashes(void)
{
	/* Each accepted family, cut or garbled. */
	CHECK_OUTCOME("bob:$y$\n", "line 1: yescrypt hash with parameters");
	CHECK_OUTCOME("bob:$y$j9T\n", "line 1: truncated yescrypt hash");
	CHECK_OUTCOME("bob:$y$j9T$\n", "line 1: truncated yescrypt hash");
	CHECK_OUTCOME("bob:$y$j9T$$\n", "line 1: malformed yescrypt hash");
	CHECK_OUTCOME("bob:$y$j9T$abc$short\n", "line 1: malformed yescrypt");
	CHECK_OUTCOME("bob:$y$j9T$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0J"
	    "eYuo2SyDbVNJkDYR1iwgBa!\n", "line 1: malformed yescrypt hash");
	CHECK_OUTCOME("bob:$y$j9T$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0J"
	    "eYuo2SyDbVNJkDYR1iwgBa0x\n", "line 1: malformed yescrypt hash");
	CHECK_OUTCOME("bob:$y$j9TT$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0"
	    "JeYuo2SyDbVNJkDYR1iwgBa0\n", "line 1: yescrypt hash with "
	    "parameters other than mkpasswd writes");
	CHECK_OUTCOME("bob:$y$z9T$1m0yPKuGqzkR3w51t8BZ40$3QTsKNbXnBwwiKyR/Q0J"
	    "eYuo2SyDbVNJkDYR1iwgBa0\n", "line 1: yescrypt hash with "
	    "parameters");
	CHECK_OUTCOME("bob:$2y$05$tXksR2QAw50O3KGmR4ZmrO251456kzpHINCwp/3etJl"
	    "mb3P4MkbJ\n", "line 1: malformed bcrypt hash");
	CHECK_OUTCOME("bob:$2y$5$$tXksR2QAw50O3KGmR4ZmrO251456kzpHINCwp/3etJl"
	    "mb3P4MkbJS\n", "line 1: malformed bcrypt hash");
	CHECK_OUTCOME("bob:$2x$05$tXksR2QAw50O3KGmR4ZmrO251456kzpHINCwp/3etJl"
	    "mb3P4MkbJS\n", "line 1: unsupported hash type");
	CHECK_OUTCOME("bob:$6$\n", "line 1: malformed SHA-512-crypt hash");
	CHECK_OUTCOME("bob:$6$rounds=$abc$def\n", "line 1: malformed "
	    "SHA-512-crypt rounds=");
	CHECK_OUTCOME("bob:$6$rounds=05000$UQVXgYbUkokfn/m7$CZhCgMZHdKlZkabTh"
	    "KnIqCVolltcqNPqPsfe1p.iS1uA9PoshYMKH1gj3rBhLTbs8pGtprVaWzN2WCV3"
	    "EqRoG/\n", "line 1: malformed SHA-512-crypt rounds=");
	CHECK_OUTCOME("bob:$6$PXCP5XRXHqYwoYTbX$Qu.dXsVPXXoucI1mXlkhfwpJ8NpOB"
	    "TgnPMcuuIWDd9jYNHhxL04kqKV6ElpwUaFLNAxkawfyhe6Hrt8.TQRQk.\n",
	    "line 1: malformed SHA-512-crypt hash");	/* 17-char salt */
	CHECK_OUTCOME("bob:$6$PXCP5XRXHqYwoYTb$Qu.dXsVPXXoucI1mXlkhfwpJ8NpOBT"
	    "gnPMcuuIWDd9jYNHhxL04kqKV6ElpwUaFLNAxkawfyhe6Hrt8.TQRQk\n",
	    "line 1: malformed SHA-512-crypt hash");	/* 85-char hash */
}

static void
test_file_syntax(void)
{
	struct htpasswd_error err;
	struct htpasswd *t;
	enum htpasswd_kind k;
	const char *text =
	    "# wsgate users\r\n"
	    "\r\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "alice:" Y "\r\n"
	    "  bob:" B2Y "  \n"
	    "carol:" S6 ":Carol Example:extra\n"
	    "J\xc3\xbcrgen Smith:" B2B "\n"
	    "dave:" Y;	/* no final newline */

	t = parse(text, &err);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_INT(htpasswd_count(t), 5);
	CHECK_STR(htpasswd_lookup(t, "alice", 5, &k), Y);
	CHECK_INT(k, HTPASSWD_YESCRYPT);
	CHECK_STR(htpasswd_lookup(t, "bob", 3, &k), B2Y);
	CHECK_INT(k, HTPASSWD_BCRYPT);
	CHECK_STR(htpasswd_lookup(t, "carol", 5, &k), S6);
	CHECK_INT(k, HTPASSWD_SHA512);
	CHECK_STR(htpasswd_lookup(t, "J\xc3\xbcrgen Smith", 13, NULL), B2B);
	CHECK_STR(htpasswd_lookup(t, "dave", 4, NULL), Y);
	/* Exact, case-sensitive, whole-name lookups. */
	CHECK(htpasswd_lookup(t, "Alice", 5, NULL) == NULL);
	CHECK(htpasswd_lookup(t, "alic", 4, NULL) == NULL);
	CHECK(htpasswd_lookup(t, "alicee", 6, NULL) == NULL);
	CHECK(htpasswd_lookup(t, "", 0, NULL) == NULL);
	CHECK(htpasswd_lookup(t, "alice:", 6, NULL) == NULL);
	htpasswd_free(t);

	/* Empty files and files of comments have no users. */
	CHECK_OUTCOME("", "ok 0");
	CHECK_OUTCOME("# nobody yet\n\n", "ok 0");
	htpasswd_free(NULL);
}

static void
test_file_errors(void)
{
	char big[HTPASSWD_LINE_MAX + 64];
	char user[HTPASSWD_USER_MAX + 80];

	CHECK_OUTCOME("alice:" Y "\nbob\n", "line 2: expected user:hash");
	CHECK_OUTCOME(":" Y "\n", "line 1: empty user name before ':'");
	CHECK_OUTCOME("al\x01ice:" Y "\n", "line 1: control character in "
	    "the user name");
	CHECK_OUTCOME("al\x7fice:" Y "\n", "line 1: control character");
	CHECK_OUTCOME("alice:" Y "\nbob:" B2Y "\nalice:" S6 "\n",
	    "line 3: user listed twice (first on line 1)");
	CHECK_OUTCOME("a:" Y "\nb:" Y "\nc:" Y "\nb:" Y "\n",
	    "line 4: user listed twice (first on line 2)");

	/* A NUL byte, wherever it is. */
	{
		static const char nul[] = "alice:" Y "\nbo\0b:" B2Y "\n";
		struct htpasswd_error err;

		CHECK(htpasswd_parse(nul, sizeof(nul) - 1, &err) == NULL);
		CHECK_INT(err.line, 2);
		CHECK(strstr(err.why, "NUL byte") != NULL);
	}
	/* Line length: the limit itself is fine, one more byte is not. */
	memset(big, '#', sizeof(big));
	big[HTPASSWD_LINE_MAX] = '\n';
	big[HTPASSWD_LINE_MAX + 1] = '\0';
	CHECK_OUTCOME(big, "ok 0");
	big[HTPASSWD_LINE_MAX] = '#';
	big[HTPASSWD_LINE_MAX + 1] = '\0';
	CHECK_OUTCOME(big, "line 1: line longer than 1024 bytes");
	/* User names: 128 bytes fine, 129 not. */
	memset(user, 'u', HTPASSWD_USER_MAX);
	snprintf(user + HTPASSWD_USER_MAX, sizeof(user) - HTPASSWD_USER_MAX,
	    ":%s", B2Y);
	CHECK_OUTCOME(user, "ok 1");
	memset(user, 'u', HTPASSWD_USER_MAX + 1);
	snprintf(user + HTPASSWD_USER_MAX + 1,
	    sizeof(user) - HTPASSWD_USER_MAX - 1, ":%s", B2Y);
	CHECK_OUTCOME(user, "line 1: user name longer than 128 bytes");
}

static void
test_file_limits(void)
{
	size_t per = 16 + sizeof(B2Y);
	size_t cap = (HTPASSWD_USERS_MAX + 1) * per + 1;
	char *text = malloc(cap);
	size_t n = 0;
	struct htpasswd_error err;
	struct htpasswd *t;

	if (text == NULL)
		abort();
	for (int i = 0; i < HTPASSWD_USERS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "user%d:%s\n", i, B2Y);
	t = htpasswd_parse(text, n, &err);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(htpasswd_count(t), HTPASSWD_USERS_MAX);
		CHECK_STR(htpasswd_lookup(t, "user0", 5, NULL), B2Y);
		CHECK_STR(htpasswd_lookup(t, "user9999", 8, NULL), B2Y);
		CHECK_STR(htpasswd_lookup(t, "user5000", 8, NULL), B2Y);
		CHECK(htpasswd_lookup(t, "user10000", 9, NULL) == NULL);
	}
	htpasswd_free(t);
	n += (size_t)snprintf(text + n, cap - n, "one-more:%s\n", B2Y);
	CHECK(htpasswd_parse(text, n, &err) == NULL);
	CHECK_INT(err.line, HTPASSWD_USERS_MAX + 1);
	CHECK_STR(err.why, "more than 10000 users");
	free(text);

	/* The file size bound comes first, before any line is read. */
	text = calloc(1, HTPASSWD_FILE_MAX + 1);
	if (text == NULL)
		abort();
	memset(text, '\n', HTPASSWD_FILE_MAX + 1);
	CHECK(htpasswd_parse(text, HTPASSWD_FILE_MAX + 1, &err) == NULL);
	CHECK_INT(err.line, 0);
	CHECK_STR(err.why, "file larger than 1 MiB");
	t = htpasswd_parse(text, HTPASSWD_FILE_MAX, &err);
	CHECK(t != NULL && htpasswd_count(t) == 0);
	htpasswd_free(t);
	free(text);
}

/* Every prefix of a good file parses or fails cleanly (ASan watches). */
static void
test_prefixes(void)
{
	const char *text = "# c\nalice:" Y "\nbob:" B2Y "\ncarol:" S6 "\n";
	size_t n = strlen(text);

	for (size_t k = 0; k <= n; k++) {
		struct htpasswd_error err;
		char *copy = malloc(k + 1);
		struct htpasswd *t;

		if (copy == NULL)
			abort();
		memcpy(copy, text, k);
		t = htpasswd_parse(copy, k, &err);
		CHECK(t != NULL || (err.why != NULL && err.line >= 1));
		htpasswd_free(t);
		free(copy);
	}
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * The real thing: crypt_r with each accepted family.  Also prints the
 * time one verification took (information for the report, not a check:
 * unit tests never judge timing).
 */
static void
test_verify(void)
{
	const char *text = "yes:" Y "\nyes7:" Y7 "\nb2y:" B2Y "\nb2b:" B2B
	    "\nb2a:" B2A "\nsha:" S6 "\nshar:" S6R "\n";
	static const char *const users[] = { "yes", "yes7", "b2y", "b2b", "b2a",
	    "sha", "shar" };
	struct htpasswd_error err;
	struct htpasswd *t = parse(text, &err);
	char longpw[HTPASSWD_PASS_MAX + 2];

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		size_t ul = strlen(users[i]);
		enum htpasswd_kind k = HTPASSWD_YESCRYPT;
		double t0, t1;

		CHECK(htpasswd_lookup(t, users[i], ul, &k) != NULL);
		t0 = now_ms();

		CHECK(htpasswd_verify(t, users[i], ul, PW));
		t1 = now_ms();
		printf("     info: %-5s %-11s one check %.1f ms\n", users[i],
		    htpasswd_kind_name(k), t1 - t0);
		CHECK(!htpasswd_verify(t, users[i], ul, PW "x"));
		CHECK(!htpasswd_verify(t, users[i], ul, "correct horse battery"
		    " stapl"));
		CHECK(!htpasswd_verify(t, users[i], ul, ""));
	}
	/* Unknown users never pass, even with another user's password. */
	CHECK(!htpasswd_verify(t, "nobody", 6, PW));
	CHECK(!htpasswd_verify(t, "ye", 2, PW));
	CHECK(!htpasswd_verify(t, "", 0, PW));
	/* Passwords over the bound are refused without crypt. */
	memset(longpw, 'p', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	CHECK(!htpasswd_verify(t, "yes", 3, longpw));
	htpasswd_free(t);

	/* An empty table refuses everyone. */
	t = parse("# nobody\n", &err);
	CHECK(t != NULL && !htpasswd_verify(t, "yes", 3, PW));
	htpasswd_free(t);
}

/* bcrypt reads 72 bytes of a password: documented, and shown here. */
static void
test_bcrypt_72(void)
{
	char pw[80], hashline[128];
	struct htpasswd_error err;
	struct htpasswd *t;

	/* mkpasswd -m bcrypt of 72 'a's. */
	snprintf(hashline, sizeof(hashline), "u:%s\n",
	    "$2b$05$dIRrTcXg/oQKH5ewl77g0uw3faqVklfV/R274I8ktENQyosK529Am");
	t = parse(hashline, &err);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	memset(pw, 'a', 72);
	pw[72] = '\0';
	CHECK(htpasswd_verify(t, "u", 1, pw));
	pw[72] = 'b';
	pw[73] = '\0';
	CHECK(htpasswd_verify(t, "u", 1, pw));	/* the 73rd byte is ignored */
	pw[71] = '\0';
	CHECK(!htpasswd_verify(t, "u", 1, pw));
	htpasswd_free(t);
}

static void
test_error_format(void)
{
	struct htpasswd_error e = { 0, 0, "file larger than 1 MiB" };
	char b[128];

	CHECK_STR(htpasswd_error_format(&e, b, sizeof(b)),
	    "file larger than 1 MiB");
	e.line = 7;
	e.why = "expected user:hash";
	CHECK_STR(htpasswd_error_format(&e, b, sizeof(b)),
	    "line 7: expected user:hash");
	e.first_line = 2;
	e.why = "user listed twice";
	CHECK_STR(htpasswd_error_format(&e, b, sizeof(b)),
	    "line 7: user listed twice (first on line 2)");
}

/* websockify's BasicHTTPAuth: a password in clear, hashed at startup. */
static void
test_make_line(void)
{
	struct htpasswd_error err;
	struct htpasswd *t;
	enum htpasswd_kind k = HTPASSWD_BCRYPT;
	const char *why;
	char *a = htpasswd_make_line("alice:x", 5, "s3cret: with colon", &why);
	char *b = htpasswd_make_line("alice", 5, "s3cret: with colon", &why);
	char longpw[HTPASSWD_PASS_MAX + 2];

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;
	CHECK(strncmp(a, "alice:$y$", 9) == 0);
	CHECK(a[strlen(a) - 1] == '\n');
	CHECK(strstr(a, "s3cret") == NULL);
	CHECK(strcmp(a, b) != 0);	/* a random salt each time */
	t = htpasswd_parse(a, strlen(a), &err);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK(htpasswd_lookup(t, "alice", 5, &k) != NULL);
		CHECK(k == HTPASSWD_YESCRYPT);
		CHECK(htpasswd_verify(t, "alice", 5, "s3cret: with colon"));
		CHECK(!htpasswd_verify(t, "alice", 5, "s3cret: with colo"));
		htpasswd_free(t);
	}
	CHECK(htpasswd_make_line("a:b", 3, "p", &why) == NULL);
	CHECK_STR(why, "a user name is 1 to 128 bytes, without ':'");
	CHECK(htpasswd_make_line("", 0, "p", &why) == NULL);
	memset(longpw, 'x', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	CHECK(htpasswd_make_line("u", 1, longpw, &why) == NULL);
	CHECK_STR(why, "a password is at most 256 bytes");
out:
	free(a);
	free(b);
}

int
main(void)
{
	RUN(test_make_line);
	RUN(test_accepted_kinds);
	RUN(test_refused_kinds);
	RUN(test_costs);
	RUN(test_malformed_hashes);
	RUN(test_file_syntax);
	RUN(test_file_errors);
	RUN(test_file_limits);
	RUN(test_prefixes);
	RUN(test_verify);
	RUN(test_bcrypt_72);
	RUN(test_error_format);
	return tl_summary("unit/htpasswd");
}
