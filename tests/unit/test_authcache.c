/* test_authcache.c -- unit tests for the verified-password cache: hits, misses, expiry, binding to the stored hash, eviction */
#include "authcache.h"
#include "testlib.h"

#define S UINT64_C(1000000)
static const uint8_t key[AUTHCACHE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const char *const H1 = "$y$j9T$salt$hash-one";
static const char *const H2 = "$y$j9T$salt$hash-two";

static bool
hit(struct authcache *c, const char *u, const char *p, const char *h,
    uint64_t now)
{
	return authcache_hit(c, u, strlen(u), p, strlen(p), h, now);
}

static void
add(struct authcache *c, const char *u, const char *p, const char *h,
    uint64_t now)
{
	authcache_add(c, u, strlen(u), p, strlen(p), h, now);
}

static void
test_hit_and_miss(void)
{
	struct authcache *c = authcache_new(64, 300 * S, key);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(!hit(c, "alice", "pw", H1, S));
	add(c, "alice", "pw", H1, S);
	CHECK(hit(c, "alice", "pw", H1, S));
	CHECK(hit(c, "alice", "pw", H1, 2 * S));
	/* Anything different misses. */
	CHECK(!hit(c, "alice", "pw2", H1, S));
	CHECK(!hit(c, "alice", "p", H1, S));
	CHECK(!hit(c, "alice", "", H1, S));
	CHECK(!hit(c, "Alice", "pw", H1, S));
	CHECK(!hit(c, "bob", "pw", H1, S));
	/* Lengths are part of the digest: the split point matters. */
	CHECK(!hit(c, "alicep", "w", H1, S));
	CHECK(!hit(c, "alic", "epw", H1, S));
	CHECK_INT(authcache_count(c, S), 1);
	authcache_free(c);
	authcache_free(NULL);
}

/* A reload that changes the password's hash: old entries no longer hit. */
static void
test_bound_to_hash(void)
{
	struct authcache *c = authcache_new(64, 300 * S, key);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	add(c, "alice", "pw", H1, S);
	CHECK(hit(c, "alice", "pw", H1, S));
	CHECK(!hit(c, "alice", "pw", H2, S));
	authcache_free(c);
}

static void
test_expiry(void)
{
	struct authcache *c = authcache_new(64, 10 * S, key);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	add(c, "alice", "pw", H1, 100 * S);
	CHECK(hit(c, "alice", "pw", H1, 110 * S - 1));
	CHECK(!hit(c, "alice", "pw", H1, 110 * S));
	CHECK_INT(authcache_count(c, 110 * S), 0);
	/* Hits do not extend an entry's life; adding again does. */
	add(c, "alice", "pw", H1, 200 * S);
	CHECK(hit(c, "alice", "pw", H1, 209 * S));
	add(c, "alice", "pw", H1, 205 * S);
	CHECK(hit(c, "alice", "pw", H1, 214 * S));
	CHECK_INT(authcache_count(c, 206 * S), 1);	/* not duplicated */
	authcache_free(c);
}

static void
test_clear(void)
{
	struct authcache *c = authcache_new(64, 10 * S, key);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	add(c, "alice", "pw", H1, S);
	add(c, "bob", "pw", H1, S);
	CHECK_INT(authcache_count(c, S), 2);
	authcache_clear(c);
	CHECK_INT(authcache_count(c, S), 0);
	CHECK(!hit(c, "alice", "pw", H1, S));
	authcache_free(c);
}

/*
 * A full cache drops the entry nearest to expiry; the memory stays
 * fixed whatever is added.
 */
static void
test_bounded(void)
{
	struct authcache *c = authcache_new(4, 1000 * S, key);
	char user[32];
	size_t live;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	for (int i = 0; i < 4; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		add(c, user, "pw", H1, (uint64_t)(i + 1) * S);
	}
	CHECK_INT(authcache_count(c, 5 * S), 4);
	add(c, "new", "pw", H1, 5 * S);
	CHECK(hit(c, "new", "pw", H1, 5 * S));
	CHECK(!hit(c, "user0", "pw", H1, 5 * S));	/* the oldest went */
	CHECK(hit(c, "user1", "pw", H1, 5 * S));
	CHECK(hit(c, "user3", "pw", H1, 5 * S));
	for (int i = 0; i < 10000; i++) {
		snprintf(user, sizeof(user), "flood%d", i);
		add(c, user, "pw", H1, 6 * S);
	}
	live = authcache_count(c, 6 * S);
	CHECK_INT(live, 4);
	authcache_free(c);
}

static void
test_parameters(void)
{
	struct authcache *c;

	CHECK(authcache_new(0, S, key) == NULL);
	CHECK(authcache_new(AUTHCACHE_ENTRIES_MAX + 1, S, key) == NULL);
	CHECK(authcache_new(4, 0, key) == NULL);
	/* A random key: works the same, differs from any other. */
	c = authcache_new(1024, S, NULL);
	CHECK(c != NULL);
	if (c != NULL) {
		add(c, "alice", "pw", H1, S);
		CHECK(hit(c, "alice", "pw", H1, S));
	}
	authcache_free(c);
}

int
main(void)
{
	RUN(test_hit_and_miss);
	RUN(test_bound_to_hash);
	RUN(test_expiry);
	RUN(test_clear);
	RUN(test_bounded);
	RUN(test_parameters);
	return tl_summary("unit/authcache");
}
