/* fuzz_handshake.c -- libFuzzer target: HTTP upgrade parser, whole and as it arrives, plus the upgrade checks and accept key */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "handshake.h"

#include "fuzz.h"

/*
 * Input layout:
 *	byte 0		max_bytes, index into max_bytes_table (low 4 bits)
 *	byte 1		max_headers (0-255)
 *	byte 2		seed for the sizes of the reads the request arrives in
 *	the rest	the request
 *
 * The parser follows picohttpparser's contract: the caller parses its
 * whole buffer again each time more bytes arrive.  So every prefix shorter
 * than a complete request must ask for more, and the answer for the
 * buffer that completes it must be the one the whole input gets.
 */

static const size_t max_bytes_table[16] = {
	0, 1, 2, 16, 64, 100, 200, 256, 512, 1024, 2048, 4096, 8192, 16384,
	65536, SIZE_MAX,
};

struct result {
	int rc;
	int status;
	const char *why;
	struct hs_request req;
	const char *base;	/* the buffer parsed, for offsets */
};

static struct result
parse(const uint8_t *p, size_t n, const struct hs_limits *lim)
{
	struct result res;
	char *buf = (char *)fuzz_dup(p, n);

	res.status = 0;
	res.why = NULL;
	res.rc = handshake_parse(buf, n, lim, &res.req, &res.status,
	    &res.why);
	res.base = buf;
	return res;
}

/* Whether p points into base[0..len]: views are compared by offset,
 * anything else (the literal "/" for an empty path) by content. */
static bool
points_into(const char *p, const char *base, size_t len)
{
	uintptr_t u = (uintptr_t)p, b = (uintptr_t)base;

	return p != NULL && u >= b && u <= b + len;
}

static void
same_str(struct hs_str a, const char *abase, size_t alen, struct hs_str b,
    const char *bbase, size_t blen)
{
	bool ain = points_into(a.p, abase, alen);
	bool bin = points_into(b.p, bbase, blen);

	FUZZ_CHECK(a.n == b.n);
	if (a.n == 0)
		return;
	FUZZ_CHECK(ain == bin);
	if (ain)
		FUZZ_CHECK(a.p - abase == b.p - bbase);
	FUZZ_CHECK(memcmp(a.p, b.p, a.n) == 0);
}

static void
same_result(const struct result *a, size_t alen, const struct result *b,
    size_t blen)
{
	const struct hs_request *x = &a->req, *y = &b->req;

	FUZZ_CHECK(a->rc == b->rc);
	if (a->rc == CODEC_NEED_MORE)
		return;
	if (a->rc == CODEC_ERROR) {
		FUZZ_CHECK(a->status == b->status);
		FUZZ_CHECK(strcmp(a->why, b->why) == 0);
		return;
	}
	same_str(x->method, a->base, alen, y->method, b->base, blen);
	same_str(x->target, a->base, alen, y->target, b->base, blen);
	same_str(x->path, a->base, alen, y->path, b->base, blen);
	same_str(x->host, a->base, alen, y->host, b->base, blen);
	same_str(x->origin, a->base, alen, y->origin, b->base, blen);
	same_str(x->key, a->base, alen, y->key, b->base, blen);
	same_str(x->version, a->base, alen, y->version, b->base, blen);
	same_str(x->forwarded_for, a->base, alen, y->forwarded_for, b->base,
	    blen);
	FUZZ_CHECK(x->http_minor == y->http_minor);
	FUZZ_CHECK(x->nheaders == y->nheaders);
	FUZZ_CHECK(x->has_host == y->has_host &&
	    x->has_origin == y->has_origin && x->has_key == y->has_key &&
	    x->has_version == y->has_version &&
	    x->upgrade_websocket == y->upgrade_websocket &&
	    x->connection_upgrade == y->connection_upgrade &&
	    x->offers_binary == y->offers_binary &&
	    x->offers_protocols == y->offers_protocols &&
	    x->upgrade_attempt == y->upgrade_attempt &&
	    x->has_content_length == y->has_content_length &&
	    x->content_length == y->content_length &&
	    x->has_transfer_encoding == y->has_transfer_encoding);
}

/* A view must lie inside the request's bytes. */
static void
inside(struct hs_str s, const char *base, size_t len)
{
	if (s.n == 0)
		return;
	FUZZ_CHECK(points_into(s.p, base, len) &&
	    points_into(s.p + s.n, base, len));
}

/*
 * An error response: status line, a Content-Length matching the body, and
 * nothing written past size (heap buffer of exactly size bytes) when it
 * does not fit.
 */
static void
check_error_response(int status, const char *why, size_t size)
{
	char *out = malloc(size != 0 ? size : 1);
	char line[32], *body;
	size_t n, clen;
	const char *cl;

	FUZZ_CHECK(out != NULL);
	n = handshake_write_error(out, size, status, why);
	if (n == 0) {
		FUZZ_CHECK(size < 1024);	/* every response fits in 1 KiB */
		free(out);
		return;
	}
	/* A length, not a string: terminate it to search it. */
	FUZZ_CHECK(n < size);
	out[n] = '\0';
	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	FUZZ_CHECK(strncmp(out, line, strlen(line)) == 0);
	body = strstr(out, "\r\n\r\n");
	cl = strstr(out, "Content-Length: ");
	FUZZ_CHECK(body != NULL && cl != NULL && cl < body);
	body += 4;
	clen = strtoul(cl + 16, NULL, 10);
	FUZZ_CHECK(clen == n - (size_t)(body - out));
	FUZZ_CHECK(clen > 0 && body[clen - 1] == '\n');
	FUZZ_CHECK(strstr(out, handshake_status_text(status)) != NULL);
	FUZZ_CHECK((status == 405) == (strstr(out, "Allow: GET") != NULL));
	free(out);
}

/* What a complete parse claims, checked against the bytes. */
static void
check_complete(const struct result *res, size_t len,
    const struct hs_limits *lim)
{
	const struct hs_request *req = &res->req;
	size_t used = (size_t)res->rc;
	char accept[HS_ACCEPT_LEN + 1];
	const char *why = NULL;
	int status = 0;

	FUZZ_CHECK(res->rc > 0 && used <= len && used <= lim->max_bytes);
	FUZZ_CHECK(res->base[used - 1] == '\n');
	FUZZ_CHECK(req->nheaders <= lim->max_headers);
	FUZZ_CHECK((req->method.n == 3 && !req->head &&
	    memcmp(req->method.p, "GET", 3) == 0) ||
	    (req->method.n == 4 && req->head &&
	    memcmp(req->method.p, "HEAD", 4) == 0));
	if (req->has_if_none_match)
		inside(req->if_none_match, res->base, used);
	if (req->has_if_modified_since)
		inside(req->if_modified_since, res->base, used);
	if (req->has_accept_encoding)
		inside(req->accept_encoding, res->base, used);
	FUZZ_CHECK(req->target.n > 0 && req->path.n > 0);
	FUZZ_CHECK(req->http_minor >= 0 && req->http_minor <= 9);
	inside(req->method, res->base, used);
	inside(req->target, res->base, used);
	if (points_into(req->path.p, res->base, used))
		inside(req->path, res->base, used);
	else
		FUZZ_CHECK(req->path.n == 1);
	FUZZ_CHECK(req->path.p[0] == '/');
	inside(req->host, res->base, used);
	inside(req->origin, res->base, used);
	inside(req->key, res->base, used);
	inside(req->version, res->base, used);
	inside(req->forwarded_for, res->base, used);
	FUZZ_CHECK(!req->has_host || req->host.p != NULL);
	FUZZ_CHECK(!req->offers_binary || req->offers_protocols);
	/* RFC 9112 6.3: never both framings at once. */
	FUZZ_CHECK(!(req->has_content_length && req->has_transfer_encoding));
	FUZZ_CHECK(req->has_content_length || req->content_length == 0);

	if (handshake_check_upgrade(req, &status, &why) != 0) {
		FUZZ_CHECK(status == 400 || status == 426 ||
		    (status == 405 && req->head));
		FUZZ_CHECK(why != NULL);
		check_error_response(status, why, 1024);
		return;
	}
	FUZZ_CHECK(req->has_host && req->has_key && req->has_version);
	FUZZ_CHECK(req->upgrade_websocket && req->connection_upgrade);
	FUZZ_CHECK(req->key.n == 24 && req->http_minor >= 1);
	/* No body on an upgrade: after the 101 come frames. */
	FUZZ_CHECK(!req->has_transfer_encoding && req->content_length == 0);

	/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)), done here by hand. */
	{
		static const char guid[] =
		    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
		unsigned char in[24 + sizeof(guid)], md[20];
		unsigned char want[HS_ACCEPT_LEN + 1];
		unsigned int mdlen = 0;

		memcpy(in, req->key.p, 24);
		memcpy(in + 24, guid, sizeof(guid) - 1);
		FUZZ_CHECK(EVP_Digest(in, 24 + sizeof(guid) - 1, md, &mdlen,
		    EVP_sha1(), NULL) == 1 && mdlen == 20);
		FUZZ_CHECK(EVP_EncodeBlock(want, md, 20) == HS_ACCEPT_LEN);
		memset(accept, 'x', sizeof(accept));
		FUZZ_CHECK(handshake_accept_key(req->key.p, req->key.n,
		    accept) == 0);
		FUZZ_CHECK(accept[HS_ACCEPT_LEN] == '\0');
		FUZZ_CHECK(memcmp(accept, want, HS_ACCEPT_LEN + 1) == 0);
	}
	{
		char out[512];
		size_t n = handshake_write_101(out, sizeof(out), accept,
		    req->offers_binary ? "binary" : NULL);

		FUZZ_CHECK(n > 0 && n < sizeof(out) && out[n] == '\0');
		FUZZ_CHECK(memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
	}
}

static void
free_result(struct result *res)
{
	free((void *)res->base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct hs_limits lim;
	struct result whole, capped;
	size_t delivered, n;
	uint32_t seed;
	uint8_t steps;

	lim.max_bytes = max_bytes_table[fuzz_byte(&in) & 15];
	lim.max_headers = fuzz_byte(&in);
	steps = fuzz_byte(&in);
	seed = fuzz_hash(in.p, in.n) ^ steps;

	whole = parse(in.p, in.n, &lim);
	if (whole.rc >= 0)
		check_complete(&whole, in.n, &lim);
	else
		FUZZ_CHECK(whole.rc == CODEC_NEED_MORE || whole.rc == CODEC_ERROR);
	if (whole.rc == CODEC_ERROR) {
		FUZZ_CHECK(whole.why != NULL);
		FUZZ_CHECK(whole.status == 400 || whole.status == 405 ||
		    whole.status == 431 || whole.status == 505);
		check_error_response(whole.status, whole.why, 1024);
		/* Too small a buffer: nothing, and nothing past its end. */
		check_error_response(whole.status, whole.why, steps);
	}
	if (whole.rc == CODEC_NEED_MORE)
		FUZZ_CHECK(in.n < lim.max_bytes);

	/* session.c passes at most max_bytes: same answer. */
	n = in.n < lim.max_bytes ? in.n : lim.max_bytes;
	capped = parse(in.p, n, &lim);
	same_result(&whole, in.n, &capped, n);
	free_result(&capped);

	/* As the bytes arrive: reads of 1 to (steps % 64 + 1) bytes. */
	delivered = 0;
	while (delivered < in.n) {
		struct result part;

		delivered += fuzz_rand(&seed) % (steps % 64u + 1) + 1;
		if (delivered > in.n)
			delivered = in.n;
		part = parse(in.p, delivered, &lim);
		if (part.rc == CODEC_NEED_MORE) {
			free_result(&part);
			continue;
		}
		/* A complete request never needs what follows it. */
		if (whole.rc >= 0)
			FUZZ_CHECK((size_t)whole.rc <= delivered);
		same_result(&whole, in.n, &part, delivered);
		free_result(&part);
		break;
	}

	/* Short requests: every prefix.  Shorter than a complete request
	 * needs more; an error is the whole input's error or not yet seen;
	 * with the whole request in, the whole input's answer. */
	for (size_t k = 0; in.n <= 300 && k < in.n; k++) {
		struct result part = parse(in.p, k, &lim);

		if (whole.rc >= 0 && k < (size_t)whole.rc)
			FUZZ_CHECK(part.rc == CODEC_NEED_MORE);
		else if (whole.rc >= 0 || part.rc != CODEC_NEED_MORE)
			same_result(&whole, in.n, &part, k);
		free_result(&part);
	}
	/* The prefix just short of a complete request needs more. */
	if (whole.rc > 0) {
		struct result part = parse(in.p, (size_t)whole.rc - 1, &lim);

		FUZZ_CHECK(part.rc == CODEC_NEED_MORE);
		free_result(&part);
	}
	free_result(&whole);
	return 0;
}
