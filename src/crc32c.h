/* crc32c.h -- pure: CRC-32C (Castagnoli), the checksum of PROXY v2 headers */
#ifndef WSGATE_CRC32C_H
#define WSGATE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32C as RFC 3720 B.4 and RFC 4960 B define it (reflected polynomial
 * 0x82F63B78, initial value and final XOR 0xFFFFFFFF): a checksum that
 * catches corruption, not an integrity check against an attacker.  Start
 * with crc = 0 and chain the calls to checksum data in pieces:
 * crc32c(crc32c(0, a, n), b, m) == crc32c(0, ab, n + m).
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
