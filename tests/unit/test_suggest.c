/* test_suggest.c -- unit tests for "did you mean": edit distances, thresholds, ties, limits */
#include "suggest.h"
#include "testlib.h"

static const char *const keys[] = {
	"listen", "backend", "origins", "idle_timeout", "close_timeout",
	"handshake_timeout", "max_message_size", "max_buffer", "path",
	"ping_interval", "pong_timeout", "send_as", "text_frames",
	"subprotocols", "require_subprotocol", "auth_basic_file", "record",
	"max_session_duration", "web_root",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *
pick(const char *word)
{
	return suggest_closest(word, keys, NKEYS);
}

static void
test_distance(void)
{
	CHECK_INT(suggest_distance("", ""), 0);
	CHECK_INT(suggest_distance("abc", ""), 3);
	CHECK_INT(suggest_distance("", "abc"), 3);
	CHECK_INT(suggest_distance("kitten", "sitting"), 3);
	CHECK_INT(suggest_distance("idle_timout", "idle_timeout"), 1);
	CHECK_INT(suggest_distance("idel_timeout", "idle_timeout"), 1);	/* swap */
	CHECK_INT(suggest_distance("ca", "abc"), 3);	/* OSA, not unrestricted */
	CHECK_INT(suggest_distance("LISTEN", "listen"), 0);
	CHECK_INT(suggest_distance("idle-timeout", "idle_timeout"), 0);
	/* Symmetric. */
	CHECK_INT(suggest_distance("backend", "bakcned"),
	    suggest_distance("bakcned", "backend"));
}

static void
test_typos(void)
{
	CHECK_STR(pick("idle_timout"), "idle_timeout");
	CHECK_STR(pick("idel_timeout"), "idle_timeout");
	CHECK_STR(pick("backends"), "backend");
	CHECK_STR(pick("orgins"), "origins");
	CHECK_STR(pick("origin"), "origins");
	CHECK_STR(pick("Listen"), "listen");
	CHECK_STR(pick("ping-interval"), "ping_interval");
	CHECK_STR(pick("subprotocol"), "subprotocols");
	CHECK_STR(pick("max_sesion_duration"), "max_session_duration");
	CHECK_STR(pick("webroot"), "web_root");
	CHECK_STR(pick("recrod"), "record");
	CHECK_STR(pick("idle_timeout"), "idle_timeout");	/* exact */
}

static void
test_no_suggestion(void)
{
	CHECK(pick("frobnicate") == NULL);
	CHECK(pick("timeout") == NULL);		/* 5 away from any */
	CHECK(pick("") == NULL);
	CHECK(pick("x") == NULL);
	CHECK(pick("pat") != NULL);		/* "path", one away */
	CHECK(pick("pa") == NULL);		/* short: only 1 edit allowed */
	CHECK(pick("ptah") != NULL);		/* swap: 1 */
	CHECK(pick("idle_tmout_x") == NULL);	/* 3 edits */
	CHECK(suggest_closest("listen", keys, 0) == NULL);
}

static void
test_ties_and_nulls(void)
{
	static const char *const two[] = { "abcd", NULL, "abce", "abcf" };

	/* All one away from "abcx": the first listed wins. */
	CHECK_STR(suggest_closest("abcx", two, 4), "abcd");
	CHECK_STR(suggest_closest("abce", two, 4), "abce");
}

static void
test_long_words(void)
{
	char w[SUGGEST_LEN_MAX + 2];
	const char *list[1];

	memset(w, 'a', sizeof(w) - 1);
	w[sizeof(w) - 1] = '\0';		/* 65 characters */
	list[0] = "aaaa";
	CHECK(suggest_closest(w, list, 1) == NULL);
	CHECK_INT(suggest_distance(w, "a"), SUGGEST_LEN_MAX + 1);
	w[SUGGEST_LEN_MAX] = '\0';		/* 64: still compared */
	list[0] = w;
	CHECK(suggest_closest(w, list, 1) == w);
}

int
main(void)
{
	RUN(test_distance);
	RUN(test_typos);
	RUN(test_no_suggestion);
	RUN(test_ties_and_nulls);
	RUN(test_long_words);
	return tl_summary("unit/suggest");
}
