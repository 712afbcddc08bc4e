/* test_ticketkey.c -- session ticket key ring: rotation schedule, retired keys, the key file format */
#include "testlib.h"

#include "ticketkey.h"

#define S 1000000ull	/* one second in microseconds */

/* 80 bytes of key material whose name starts with tag. */
static void
material(uint8_t *m, uint8_t tag)
{
	for (size_t i = 0; i < TICKETKEY_SIZE; i++)
		m[i] = (uint8_t)(tag + i);
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void
test_generated_schedule(void)
{
	struct ticketkey_ring r;
	uint8_t a[TICKETKEY_SIZE], b[TICKETKEY_SIZE], c[TICKETKEY_SIZE];
	uint64_t life = 3600 * S, t0 = 5 * S;

	material(a, 0x10);
	material(b, 0x20);
	material(c, 0x30);
	ticketkey_ring_init(&r);
	CHECK(r.generated);
	CHECK(ticketkey_due(&r, t0, life));	/* no key yet */
	CHECK_INT(ticketkey_find(&r, a, t0), -1);
	ticketkey_rotate(&r, a, t0, life);
	CHECK_INT(r.n, 1);
	CHECK_MEM(r.key[0].name, a, TICKETKEY_NAME_LEN);
	CHECK_MEM(r.key[0].hmac, a + 16, TICKETKEY_HMAC_LEN);
	CHECK_MEM(r.key[0].aes, a + 48, TICKETKEY_AES_LEN);
	/* key[0] encrypts for one lifetime... */
	CHECK(!ticketkey_due(&r, t0 + life - 1, life));
	CHECK(ticketkey_due(&r, t0 + life, life));
	CHECK_INT(ticketkey_find(&r, a, t0 + life - 1), 0);
	/* ...then (rotated late: nobody needed a ticket) decrypts for one
	 * more lifetime from the rotation. */
	ticketkey_rotate(&r, b, t0 + life + 10 * S, life);
	CHECK_INT(r.n, 2);
	CHECK_MEM(r.key[0].name, b, TICKETKEY_NAME_LEN);
	CHECK_INT(ticketkey_find(&r, b, t0 + life + 10 * S), 0);
	CHECK_INT(ticketkey_find(&r, a, t0 + life + 10 * S), 1);
	CHECK_INT(ticketkey_find(&r, a, t0 + 2 * life + 10 * S - 1), 1);
	CHECK_INT(ticketkey_find(&r, a, t0 + 2 * life + 10 * S), -1);
	/* The next rotation drops (and wipes) the retired key: two at most. */
	ticketkey_rotate(&r, c, t0 + 2 * life + 10 * S, life);
	CHECK_INT(r.n, 2);
	CHECK_MEM(r.key[0].name, c, TICKETKEY_NAME_LEN);
	CHECK_MEM(r.key[1].name, b, TICKETKEY_NAME_LEN);
	CHECK_INT(ticketkey_find(&r, a, t0 + 2 * life + 10 * S), -1);
	CHECK(all_zero(&r.key[2], sizeof(r.key[2])));
	/* Unknown names never match. */
	material(a, 0x99);
	CHECK_INT(ticketkey_find(&r, a, t0 + 2 * life + 10 * S), -1);
	ticketkey_wipe(&r);
	CHECK_INT(r.n, 0);
	CHECK(all_zero(r.key, sizeof(r.key)));
}

static void
test_generated_fast_rotation(void)
{
	/* A lifetime shortened by a reload: the retired key keeps the time it
	 * was given, and rotations never hold more than the ring's room. */
	struct ticketkey_ring r;
	uint8_t m[TICKETKEY_SIZE];
	uint64_t t = 100 * S;

	ticketkey_ring_init(&r);
	material(m, 1);
	ticketkey_rotate(&r, m, t, 3600 * S);
	material(m, 2);
	t += 3600 * S;
	ticketkey_rotate(&r, m, t, 3600 * S);	/* key 1 until t + 1 h */
	for (int i = 3; i < 40; i++) {
		material(m, (uint8_t)i);
		t += 1 * S;
		CHECK(ticketkey_due(&r, t, 1 * S));
		ticketkey_rotate(&r, m, t, 1 * S);
		CHECK(r.n <= TICKETKEY_MAX);
		CHECK_MEM(r.key[0].name, m, TICKETKEY_NAME_LEN);
	}
	material(m, 1);
	CHECK(ticketkey_find(&r, m, t) > 0);	/* its hour is not over */
	material(m, 38);
	CHECK_INT(ticketkey_find(&r, m, t), 1);
	material(m, 37);
	CHECK_INT(ticketkey_find(&r, m, t), -1);	/* its second is */
}

static void
test_file(void)
{
	uint8_t buf[TICKETKEY_SIZE * (TICKETKEY_MAX + 1)];
	struct ticketkey_ring r;
	const char *why = NULL;

	for (int i = 0; i <= TICKETKEY_MAX; i++)
		material(buf + i * TICKETKEY_SIZE, (uint8_t)(i * 7));
	CHECK_INT(ticketkey_file_parse(buf, TICKETKEY_SIZE, &r, &why), 0);
	CHECK(why == NULL);
	CHECK(!r.generated);
	CHECK_INT(r.n, 1);
	CHECK_MEM(r.key[0].name, buf, 16);
	CHECK_MEM(r.key[0].hmac, buf + 16, 32);
	CHECK_MEM(r.key[0].aes, buf + 48, 32);
	CHECK(!ticketkey_due(&r, UINT64_MAX / 2, 1));	/* never rotated */

	CHECK_INT(ticketkey_file_parse(buf, 3 * TICKETKEY_SIZE, &r, &why), 0);
	CHECK_INT(r.n, 3);
	CHECK_INT(ticketkey_find(&r, buf, 0), 0);
	CHECK_INT(ticketkey_find(&r, buf + 2 * TICKETKEY_SIZE, UINT64_MAX),
	    2);	/* file keys do not expire */
	CHECK_INT(ticketkey_file_parse(buf, TICKETKEY_MAX * TICKETKEY_SIZE,
	    &r, &why), 0);
	CHECK_INT(r.n, TICKETKEY_MAX);

	CHECK_INT(ticketkey_file_parse(buf, 0, &r, &why), CODEC_ERROR);
	CHECK_STR(why, "the file is empty");
	CHECK_INT(r.n, 0);
	CHECK_INT(ticketkey_file_parse(buf, 48, &r, &why), CODEC_ERROR);
	CHECK_STR(why, "not a whole number of 80-byte keys");
	CHECK_INT(ticketkey_file_parse(buf, 81, &r, &why), CODEC_ERROR);
	CHECK_INT(ticketkey_file_parse(buf, 160 - 1, &r, &why), CODEC_ERROR);
	CHECK_INT(ticketkey_file_parse(buf, sizeof(buf), &r, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "more than 8 keys");
	/* Two keys with one name. */
	memcpy(buf + 2 * TICKETKEY_SIZE, buf, 16);
	CHECK_INT(ticketkey_file_parse(buf, 3 * TICKETKEY_SIZE, &r, &why),
	    CODEC_ERROR);
	CHECK(why != NULL && strstr(why, "same name") != NULL);
	CHECK_INT(r.n, 0);
	CHECK(all_zero(r.key, sizeof(r.key)));
}

int
main(void)
{
	RUN(test_generated_schedule);
	RUN(test_generated_fast_rotation);
	RUN(test_file);
	return tl_summary("unit/ticketkey");
}
