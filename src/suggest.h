/* suggest.h -- pure: "did you mean ...?" for unknown config keys and options (edit distance) */
#ifndef WSGATE_SUGGEST_H
#define WSGATE_SUGGEST_H

#include <stddef.h>

/*
 * API: suggest_closest(word, names, n) returns the entry of names[0..n)
 * closest to word, or NULL when none is close enough to be a likely typo.
 * The returned pointer is names[i] itself (nothing is allocated or
 * copied).
 *
 * Closeness is the Damerau-Levenshtein distance in its "optimal string
 * alignment" form (insert, delete, substitute, swap two neighbours: each
 * costs 1), comparing ASCII letters case-insensitively and '-' equal to
 * '_' (so "--idle-timeout" style spellings of a key still match).  A name
 * is suggested when its distance is at most SUGGEST_MAX_DISTANCE, and at
 * most 1 for words shorter than 5 characters (two edits turn most short
 * words into most other short words), and never when the distance is the
whole word's length (every character changed).  Ties go to the name listed first;
 * a word equal to a name (distance 0) returns that name.
 *
 * Limits: words and names longer than SUGGEST_LEN_MAX characters are never
 * matched (no suggestion rather than unbounded work); the work is
 * O(n * SUGGEST_LEN_MAX^2) at most.
 */
#define SUGGEST_MAX_DISTANCE 2
#define SUGGEST_LEN_MAX 64

const char *suggest_closest(const char *word, const char *const *names,
    size_t n);

/* The distance itself, or SUGGEST_LEN_MAX + 1 when either is too long. */
unsigned suggest_distance(const char *a, const char *b);

#endif
