/* test_crc32c.c -- CRC-32C against RFC 3720 B.4's vectors and a bit-at-a-time reference */
#include "crc32c.h"
#include "testlib.h"

/* The definition, one bit at a time: what the table must agree with. */
static uint32_t
reference(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

static void
test_rfc3720_vectors(void)
{
	uint8_t buf[32];

	/* RFC 3720 B.4 (the CRC as a number; the RFC lists its bytes
	 * little-endian, e.g. "aa 36 91 8a"). */
	memset(buf, 0, sizeof(buf));
	CHECK_INT(crc32c(0, buf, 32), 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	CHECK_INT(crc32c(0, buf, 32), 0x62a8ab43);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK_INT(crc32c(0, buf, 32), 0x46dd794e);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	CHECK_INT(crc32c(0, buf, 32), 0x113fdb5c);
	/* The usual check value. */
	CHECK_INT(crc32c(0, "123456789", 9), 0xe3069283);
	CHECK_INT(crc32c(0, "", 0), 0);
}

static void
test_against_reference(void)
{
	uint8_t buf[300];

	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(tl_rand() % sizeof(buf));

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)tl_rand();
		CHECK_INT(crc32c(0, buf, n), reference(buf, n));
	}
}

static void
test_chaining(void)
{
	const char *s = "The quick brown fox jumps over the lazy dog";
	size_t n = strlen(s);
	uint32_t whole = crc32c(0, s, n);

	CHECK_INT(whole, 0x22620404);
	for (size_t cut = 0; cut <= n; cut++)
		CHECK_INT(crc32c(crc32c(0, s, cut), s + cut, n - cut), whole);
}

int
main(void)
{
	RUN(test_rfc3720_vectors);
	RUN(test_against_reference);
	RUN(test_chaining);
	return tl_summary("unit/crc32c");
}
