/* codec.h -- the one return convention of wsgate's pure parsers */
#ifndef WSGATE_CODEC_H
#define WSGATE_CODEC_H

/*
 * Every pure parser that reads a byte stream (HTTP requests, frame
 * headers, PROXY headers, token lines, JWTs) returns:
 *
 *   >= 0              success: the number of bytes consumed (or 0 for a
 *                     parser whose input is one whole item)
 *   CODEC_NEED_MORE   the input ends before the item does: call again
 *                     with more bytes (never returned for whole items)
 *   CODEC_ERROR       the input is invalid; an out-parameter says what
 *                     (an HTTP status, a close code, or static text)
 *
 * Parsers allocate nothing, never log and never exit: the caller logs
 * once, with context.
 *
 * Parsers of one whole value return 0 or CODEC_ERROR (duration_parse).
 * Older ones -- value_*(), ipaddr_parse*(), cidr_parse(),
 * origin_normalize(), frame_close_parse() -- still return 0 or -1 as
 * plain int functions do: their input is never partial, so the -1 cannot
 * be read as "need more".
 */
#define CODEC_NEED_MORE (-1)
#define CODEC_ERROR (-2)

#endif
