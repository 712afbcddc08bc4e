/* fuzz_ticketkey.c -- libFuzzer target: session ticket key files, and the key ring under any schedule of rotations and lookups */
#include <stdbool.h>
#include <string.h>

#include "ticketkey.h"

#include "fuzz.h"

/*
 * Input: one selector byte.  Even: the rest is a key file; checked
 * against the format (accepted exactly when it is 1 to 8 whole keys with
 * distinct names; every key then as written; each name found at its own
 * index).  Odd: the rest drives a generated ring, in steps of
 * [op, delta, lifetime, 80 bytes]: op & 1 rotates with those bytes as
 * the new key, else looks a name up; checked: never more than
 * TICKETKEY_MAX keys, the newest key encrypts and is found at 0, a
 * retired key is found only before its time, names of dropped keys are
 * wiped.
 */
static void
file_case(const uint8_t *p, size_t n)
{
	struct ticketkey_ring r;
	const char *why = NULL;
	bool ok = n > 0 && n % TICKETKEY_SIZE == 0 &&
	    n / TICKETKEY_SIZE <= TICKETKEY_MAX;
	int rc;

	for (size_t i = 0; ok && i < n / TICKETKEY_SIZE; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(p + i * TICKETKEY_SIZE,
			    p + j * TICKETKEY_SIZE, TICKETKEY_NAME_LEN) == 0)
				ok = false;
	memset(&r, 0xa5, sizeof(r));
	rc = ticketkey_file_parse(p, n, &r, &why);
	FUZZ_CHECK((rc == 0) == ok);
	FUZZ_CHECK(!r.generated);
	if (rc != 0) {
		FUZZ_CHECK(rc == CODEC_ERROR && why != NULL && r.n == 0);
		return;
	}
	FUZZ_CHECK(why == NULL && r.n == n / TICKETKEY_SIZE);
	for (size_t i = 0; i < r.n; i++) {
		const uint8_t *k = p + i * TICKETKEY_SIZE;

		FUZZ_CHECK(memcmp(r.key[i].name, k, 16) == 0);
		FUZZ_CHECK(memcmp(r.key[i].hmac, k + 16, 32) == 0);
		FUZZ_CHECK(memcmp(r.key[i].aes, k + 48, 32) == 0);
		FUZZ_CHECK(ticketkey_find(&r, k, UINT64_MAX) == (int)i);
	}
	FUZZ_CHECK(!ticketkey_due(&r, UINT64_MAX, 1));
	ticketkey_wipe(&r);
	FUZZ_CHECK(r.n == 0);
}

static void
ring_case(struct fuzz_in *in)
{
	struct ticketkey_ring r;
	uint64_t now = 1000000;

	ticketkey_ring_init(&r);
	while (in->n >= 3 + TICKETKEY_SIZE) {
		uint8_t op = fuzz_byte(in);
		uint64_t delta = (uint64_t)fuzz_byte(in) * 250000;
		uint64_t life = ((uint64_t)fuzz_byte(in) + 1) * 1000000;
		const uint8_t *m = in->p;

		in->p += TICKETKEY_SIZE;
		in->n -= TICKETKEY_SIZE;
		now += delta;
		if (op & 1) {
			ticketkey_rotate(&r, m, now, life);
			FUZZ_CHECK(r.n >= 1 && r.n <= TICKETKEY_MAX);
			FUZZ_CHECK(memcmp(r.key[0].name, m, 16) == 0);
			FUZZ_CHECK(r.key[0].born_us == now);
			FUZZ_CHECK(!ticketkey_due(&r, now, life));
			FUZZ_CHECK(ticketkey_due(&r, now + life, life));
			for (size_t i = 1; i < r.n; i++)
				FUZZ_CHECK(r.key[i].until_us > now);
			for (size_t i = r.n; i < TICKETKEY_MAX; i++) {
				static const uint8_t zero[sizeof(r.key[0])];

				FUZZ_CHECK(memcmp(&r.key[i], zero,
				    sizeof(zero)) == 0);
			}
		} else {
			int i = ticketkey_find(&r, m, now);

			FUZZ_CHECK(i >= -1 && i < (int)r.n);
			if (i >= 0)
				FUZZ_CHECK(memcmp(r.key[i].name, m, 16) == 0 &&
				    (i == 0 || r.key[i].until_us > now));
		}
		if (r.n > 0)
			FUZZ_CHECK(ticketkey_find(&r, r.key[0].name, now) == 0 ||
			    memcmp(r.key[0].name, r.key[1].name, 16) == 0);
	}
	ticketkey_wipe(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (fuzz_byte(&in) & 1)
		ring_case(&in);
	else
		file_case(in.p, in.n);
	return 0;
}
