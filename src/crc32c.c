/* crc32c.c -- pure: CRC-32C (Castagnoli), the checksum of PROXY v2 headers */
#include "crc32c.h"

/*
 * Neither OpenSSL nor zlib (CRC-32 only) offers CRC-32C.  A half-byte
 * table keeps it to 16 constants; a PROXY header is checksummed once per
 * connection and is at most a few kilobytes, so speed does not matter.
 * Entry i is i run through four steps of the reflected polynomial.
 */
static const uint32_t crc32c_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
	0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0f];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0f];
	}
	return ~crc;
}
