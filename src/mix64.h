/* mix64.h -- a keyed 64-bit mixer that spreads addresses over buckets */
#ifndef WSGATE_MIX64_H
#define WSGATE_MIX64_H

#include <stdint.h>

/*
 * The SplitMix64 finaliser (bijective), keyed on both sides: per-process
 * keys keep a client from choosing which bucket its addresses share
 * (pending.c, clientlimit.c).  It only spreads; it is no MAC.
 */
static inline uint64_t
mix64(uint64_t x, uint64_t key)
{
	x ^= key;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x + key;
}

#endif
