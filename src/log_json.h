/* log_json.h -- pure: one log line's text ("event key=value ...") as one JSON object (log_format = json) */
#ifndef WSGATE_LOG_JSON_H
#define WSGATE_LOG_JSON_H

#include <stddef.h>

/*
 * API: log_json() writes the message of one log line, as log_msg()
 * formats it for the text format, as one JSON object on one line:
 *
 *   close client=127.0.0.1:37944 route=echo up=17 duration=1.280s
 *   code=1000 reason="client sent close"
 * becomes
 *   {"ts":"2026-11-26T04:55:16.323Z","level":"info","event":"close",
 *   "client":"127.0.0.1:37944","route":"echo","up":17,
 *   "duration":"1.280s","code":1000,"reason":"client sent close"}
 *
 * The message is read as (every log call of wsgate writes this shape):
 *
 *   message = event 1*(SP field) [SP rest] / rest
 *   event   = word
 *   field   = word "=" value
 *   word    = a-z, then up to 31 of a-z 0-9 "_"
 *   value   = DQUOTE *(any byte but DQUOTE) DQUOTE     (then SP or the end)
 *           / *(any byte but SP and DQUOTE)            (may be empty)
 *
 * When the first word is not followed by a field the message has no
 * event and all of it is "msg".  Fields are read from the left until one
 * does not parse, repeats an earlier key, is named ts, level, event, msg
 * or truncated, or is the LOG_JSON_FIELDS_MAX+1st: from that token on,
 * the rest is "msg" (emitted whenever a separating space led to it, even
 * if empty).  So keys are unique, and no message (nor a client's bytes
 * in it) can set ts, level or event.
 *
 * Values: "\xNN" (two lower-case hex digits) is the byte 0xNN, in values
 * and msg alike: log_escape() writes a client's bytes outside printable
 * ASCII, '"' and '\' that way, so the JSON string holds the client's
 * original bytes again, written by json_escape() (json.h: printable
 * ASCII; invalid UTF-8 as U+FFFD).  Other bytes stand for themselves
 * (log_msg() passes the message before its own last-resort escaping).
 * An unquoted value that is a plain decimal number (-?(0|[1-9][0-9]*)
 * with an optional .[0-9]+, at most LOG_JSON_NUMBER_MAX characters)
 * becomes a JSON number; every other value, quoted ones included, a
 * string.
 *
 * Output: dst gets at most size bytes (size >= LOG_JSON_MIN), ending
 * with "}\n", no NUL; returns the bytes written.  When the object does
 * not fit, the string being written is cut at a whole escape and closed,
 * a field that does not fit is left out, and "truncated":true ends the
 * object: still one valid JSON object on one line.
 */
#define LOG_JSON_MIN 128
#define LOG_JSON_FIELDS_MAX 64
#define LOG_JSON_NUMBER_MAX 24

size_t log_json(char *dst, size_t size, const char *ts, const char *level,
    const char *msg, size_t len);

#endif
