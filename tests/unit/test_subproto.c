/* test_subproto.c -- unit tests for Sec-WebSocket-Protocol negotiation: tolerant parsing, server order, require, websockify's cases */
#include "subproto.h"
#include "testlib.h"

/*
 * Run the selection over header instances (NULL-terminated) against
 * names (NULL-terminated) and describe it: "select Binary (1) of 3",
 * "none of 2", "error: ...".
 */
static const char *
run(const char *const *values, const char *const *names, bool require,
    char *out, size_t size)
{
	struct subproto_field f[SUBPROTO_FIELDS_MAX + 2];
	struct subproto_choice c;
	const char *why = NULL;
	size_t nf = 0, nn = 0;
	int r;

	for (; values[nf] != NULL; nf++) {
		f[nf].p = values[nf];
		f[nf].n = strlen(values[nf]);
	}
	while (names[nn] != NULL)
		nn++;
	r = subproto_select(f, nf, names, nn, require, &c, &why);
	if (r != 0) {
		CHECK_INT(r, CODEC_ERROR);
		CHECK(c.p == NULL && c.index == -1);
		snprintf(out, size, "error: %s", why != NULL ? why : "?");
		return out;
	}
	CHECK(why == NULL);
	if (c.p == NULL) {
		CHECK_INT(c.index, -1);
		snprintf(out, size, "none of %u", c.offered);
	} else {
		snprintf(out, size, "select %.*s (%d) of %u", (int)c.n, c.p,
		    c.index, c.offered);
	}
	return out;
}

#define V(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static char b[256];

static void
test_basic(void)
{
	CHECK_STR(run(V("binary"), V("binary"), false, b, sizeof(b)),
	    "select binary (0) of 1");
	CHECK_STR(run(NONE, V("binary"), false, b, sizeof(b)), "none of 0");
	CHECK_STR(run(V("chat"), V("binary"), false, b, sizeof(b)),
	    "none of 1");
	/* A route without names never selects, whatever is offered. */
	CHECK_STR(run(V("binary, base64"), NONE, false, b, sizeof(b)),
	    "none of 2");
}

/* websockify 0.10 answers 400 to these; we select "binary". */
static void
test_websockify_cases(void)
{
	CHECK_STR(run(V("chat, binary"), V("binary"), false, b, sizeof(b)),
	    "select binary (0) of 2");
	CHECK_STR(run(V("base64, binary"), V("binary"), false, b, sizeof(b)),
	    "select binary (0) of 2");
	CHECK_STR(run(V("binary, base64"), V("binary"), false, b, sizeof(b)),
	    "select binary (0) of 2");
	/* Offered protocols and none matching: no header, not a 400. */
	CHECK_STR(run(V("chat"), V("binary"), false, b, sizeof(b)),
	    "none of 1");
}

static void
test_tolerant_parsing(void)
{
	/* Case: matched in any case, answered in the client's spelling. */
	CHECK_STR(run(V("BINARY"), V("binary"), false, b, sizeof(b)),
	    "select BINARY (0) of 1");
	CHECK_STR(run(V("chat"), V("Chat"), false, b, sizeof(b)),
	    "select chat (0) of 1");
	/* Blanks, tabs, empty elements, leading and trailing commas. */
	CHECK_STR(run(V(" \t,, chat ,\t binary\t, ,"), V("binary"), false, b,
	    sizeof(b)), "select binary (0) of 2");
	CHECK_STR(run(V(""), V("binary"), false, b, sizeof(b)), "none of 0");
	CHECK_STR(run(V(",,,"), V("binary"), false, b, sizeof(b)),
	    "none of 0");
	/* Repeated headers are one list. */
	CHECK_STR(run(V("chat", "", "binary"), V("binary"), false, b,
	    sizeof(b)), "select binary (0) of 2");
	/* Non-tokens are skipped, the rest still counts. */
	CHECK_STR(run(V("bin ary, \"binary\", bin/ary, binary"), V("binary"),
	    false, b, sizeof(b)), "select binary (0) of 1");
	CHECK_STR(run(V("b\x80nary, binary\x01"), V("binary"), false, b,
	    sizeof(b)), "none of 0");
	/* A prefix or an extension of a name is not the name. */
	CHECK_STR(run(V("bin, binaryx, binar"), V("binary"), false, b,
	    sizeof(b)), "none of 3");
}

/* The server's order decides, whatever the client's order. */
static void
test_server_order(void)
{
	CHECK_STR(run(V("base64, binary"), V("binary", "base64"), false, b,
	    sizeof(b)), "select binary (0) of 2");
	CHECK_STR(run(V("binary, base64"), V("base64", "binary"), false, b,
	    sizeof(b)), "select base64 (0) of 2");
	CHECK_STR(run(V("v1.proto", "v2.proto"), V("x", "v2.proto",
	    "v1.proto"), false, b, sizeof(b)), "select v2.proto (1) of 2");
	/* The client repeating a name: its first spelling is echoed. */
	CHECK_STR(run(V("Binary, binary"), V("binary"), false, b,
	    sizeof(b)), "select Binary (0) of 2");
}

static void
test_require(void)
{
	CHECK_STR(run(V("chat, binary"), V("binary"), true, b, sizeof(b)),
	    "select binary (0) of 2");
	CHECK_STR(run(NONE, V("binary"), true, b, sizeof(b)),
	    "error: no subprotocol offered (require_subprotocol)");
	CHECK_STR(run(V(" , "), V("binary"), true, b, sizeof(b)),
	    "error: no subprotocol offered (require_subprotocol)");
	CHECK_STR(run(V("chat"), V("binary"), true, b, sizeof(b)),
	    "error: no offered subprotocol is one this route accepts "
	    "(require_subprotocol)");
}

static void
test_limits(void)
{
	char many[SUBPROTO_OFFERS_MAX * 3 + 8];
	const char *vals[SUBPROTO_FIELDS_MAX + 2];
	size_t n = 0;

	/* Exactly the maximum number of elements is fine, one more is not. */
	for (int i = 0; i < SUBPROTO_OFFERS_MAX - 1; i++) {
		many[n++] = 'a';
		many[n++] = ',';
	}
	memcpy(many + n, "binary", 7);
	CHECK_STR(run(V(many), V("binary"), false, b, sizeof(b)),
	    "select binary (0) of 64");
	many[n] = ',';
	memcpy(many + n + 1, "binary", 7);
	CHECK_STR(run(V(many), V("binary"), false, b, sizeof(b)),
	    "error: too many subprotocols offered");
	/* Empty elements count too: a header of commas is bounded work. */
	memset(many, ',', SUBPROTO_OFFERS_MAX);
	many[SUBPROTO_OFFERS_MAX] = '\0';
	CHECK_STR(run(V(many), V("binary"), false, b, sizeof(b)),
	    "error: too many subprotocols offered");
	for (n = 0; n < SUBPROTO_FIELDS_MAX; n++)
		vals[n] = "x";
	vals[n] = NULL;
	CHECK_STR(run(vals, V("x"), false, b, sizeof(b)),
	    "select x (0) of 16");
	vals[n++] = "x";
	vals[n] = NULL;
	CHECK_STR(run(vals, V("x"), false, b, sizeof(b)),
	    "error: too many Sec-WebSocket-Protocol headers");
}

static void
test_null_field(void)
{
	struct subproto_field f[2] = { { NULL, 0 }, { "binary", 6 } };
	const char *const names[] = { "binary" };
	struct subproto_choice c;
	const char *why;

	CHECK_INT(subproto_select(f, 2, names, 1, false, &c, &why), 0);
	CHECK_INT(c.index, 0);
	CHECK(c.p == f[1].p);
}

static void
test_name_valid(void)
{
	char longname[SUBPROTO_NAME_MAX + 2];

	CHECK(subproto_name_valid("binary", 6));
	CHECK(subproto_name_valid("v2.bin.example.com", 18));
	CHECK(subproto_name_valid("a!#$%&'*+-.^_`|~Z9", 18));
	CHECK(!subproto_name_valid("", 0));
	CHECK(!subproto_name_valid("a b", 3));
	CHECK(!subproto_name_valid("a,b", 3));
	CHECK(!subproto_name_valid("a/b", 3));
	CHECK(!subproto_name_valid("\"a\"", 3));
	CHECK(!subproto_name_valid("a\0b", 3));
	CHECK(!subproto_name_valid("caf\xc3\xa9", 5));
	memset(longname, 'a', sizeof(longname));
	CHECK(subproto_name_valid(longname, SUBPROTO_NAME_MAX));
	CHECK(!subproto_name_valid(longname, SUBPROTO_NAME_MAX + 1));
}

int
main(void)
{
	RUN(test_basic);
	RUN(test_websockify_cases);
	RUN(test_tolerant_parsing);
	RUN(test_server_order);
	RUN(test_require);
	RUN(test_limits);
	RUN(test_null_field);
	RUN(test_name_valid);
	return tl_summary("unit/subproto");
}
