/* webresp.c -- pure: how a web_root file is answered (validators, conditional requests, HEAD, precompressed siblings), apart from any transport */
#include "webresp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handshake.h"

static const char *const enc_names[WEBRESP_NENC] = {
	[WEBRESP_IDENTITY] = NULL,
	[WEBRESP_BR] = "br",
	[WEBRESP_GZIP] = "gzip",
};

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A view without leading and trailing OWS. */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

static bool
eq_ci(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
 * in thousandths.  Whether it is positive is all that matters here; an
 * invalid one counts as 1 (the client asked for the coding by name).
 */
static int
qvalue(const char *p, size_t n)
{
	int q = 0, scale = 100;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return 1000;
	q = (p[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return 1000;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return 1000;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? 1000 : q;
}

/* The q of one list member "coding;q=0.5;x=y" (parameters other than q
 * are ignored). */
static int
member_q(const char *p, size_t n, const char **name, size_t *nlen)
{
	const char *semi = memchr(p, ';', n);
	int q = 1000;

	*name = p;
	*nlen = semi != NULL ? (size_t)(semi - p) : n;
	trim(name, nlen);
	while (semi != NULL) {
		const char *par = semi + 1;
		size_t plen = (size_t)(p + n - par);
		const char *next = memchr(par, ';', plen);

		if (next != NULL)
			plen = (size_t)(next - par);
		trim(&par, &plen);
		if (plen >= 2 && (par[0] == 'q' || par[0] == 'Q')) {
			const char *v = par + 1;
			size_t vlen = plen - 1;

			trim(&v, &vlen);
			if (vlen > 0 && v[0] == '=') {
				v++;
				vlen--;
				trim(&v, &vlen);
				q = qvalue(v, vlen);
			}
		}
		semi = next;
	}
	return q;
}

unsigned
webresp_accepts(const char *p, size_t n)
{
	/* q per coding: -1 = not named. */
	int q[WEBRESP_NENC] = { -1, -1, -1 };
	int star = -1;
	unsigned mask = 0;
	const char *end;

	if (p == NULL)
		return 1u << WEBRESP_IDENTITY;
	end = p + n;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((comma != NULL ? comma : end) - p);
		const char *name;
		size_t nlen;
		int mq = member_q(p, len, &name, &nlen);

		if (eq_ci(name, nlen, "identity"))
			q[WEBRESP_IDENTITY] = mq;
		else if (eq_ci(name, nlen, "br"))
			q[WEBRESP_BR] = mq;
		else if (eq_ci(name, nlen, "gzip") ||
		    eq_ci(name, nlen, "x-gzip"))
			q[WEBRESP_GZIP] = q[WEBRESP_GZIP] > mq ?
			    q[WEBRESP_GZIP] : mq;
		else if (eq_ci(name, nlen, "*"))
			star = mq;
		p = comma != NULL ? comma + 1 : end;
	}
	for (int e = 0; e < WEBRESP_NENC; e++) {
		int v = q[e] >= 0 ? q[e] : star;

		/* RFC 9110 12.5.3: identity is acceptable unless refused by
		 * name or by "*;q=0". */
		if (v < 0 && e == WEBRESP_IDENTITY)
			v = 1000;
		if (v > 0)
			mask |= 1u << e;
	}
	return mask;
}

size_t
webresp_etag(const struct webresp_file *f, char *out, size_t size)
{
	uint64_t ns = (uint64_t)f->mtime_sec * 1000000000u +
	    (uint64_t)f->mtime_nsec;
	int n = snprintf(out, size, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
	    f->ino, f->size, ns);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

bool
webresp_none_match(const char *p, size_t n, const char *etag)
{
	const char *end = p + n;
	/* The weak comparison: W/ prefixes do not count. */
	const char *want = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
	size_t wlen = strlen(want);

	trim(&p, &n);
	end = p + n;
	if (n == 1 && p[0] == '*')
		return true;
	while (p < end) {
		const char *q;

		while (p < end && (is_ows(*p) || *p == ','))
			p++;
		if (p >= end)
			break;
		if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if (p >= end || *p != '"')
			return false;	/* not an entity-tag: no match */
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (q == NULL)
			return false;
		if ((size_t)(q + 1 - p) == wlen && memcmp(p, want, wlen) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

static const char *const days[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
webresp_format_date(int64_t t, char out[WEBRESP_DATE_LEN + 1])
{
	int64_t z = (t >= 0 ? t : t - 86399) / 86400;
	int64_t secs = t - z * 86400;
	int64_t era, y;
	unsigned doe, yoe, doy, mp, d, m;

	/* civil_from_days (H. Hinnant). */
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999) {
		/* Outside what four digits say: the epoch. */
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", WEBRESP_DATE_LEN + 1);
		return;
	}
	snprintf(out, WEBRESP_DATE_LEN + 1, "%s, %02u %s %04d %02d:%02d:%02d GMT",
	    days[((z - 719468) % 7 + 11) % 7], d, months[m - 1], (int)y,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

static int
parse_num(const char *p, size_t n, int *v)
{
	*v = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

static int
parse_month(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(p, months[i], 3) == 0)
			return i + 1;
	return -1;
}

/* "08:49:37" */
static int
parse_clock(const char *p, int *h, int *mi, int *s)
{
	if (p[2] != ':' || p[5] != ':' || parse_num(p, 2, h) != 0 ||
	    parse_num(p + 3, 2, mi) != 0 || parse_num(p + 6, 2, s) != 0 ||
	    *h > 23 || *mi > 59 || *s > 60)
		return -1;
	return 0;
}

int
webresp_parse_date(const char *p, size_t n, int64_t *t)
{
	const char *c;
	int d, m, y, h, mi, s;

	trim(&p, &n);
	c = memchr(p, ',', n < 10 ? n : 10);
	if (c != NULL && c - p == 3 && n == WEBRESP_DATE_LEN) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
		    p[16] != ' ' || p[25] != ' ' ||
		    memcmp(p + 26, "GMT", 3) != 0 ||
		    parse_num(p + 5, 2, &d) != 0 ||
		    (m = parse_month(p + 8)) < 0 ||
		    parse_num(p + 12, 4, &y) != 0 ||
		    parse_clock(p + 17, &h, &mi, &s) != 0)
			return -1;
	} else if (c != NULL) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		const char *r = c + 1;
		size_t rn = (size_t)(p + n - r);

		if (rn != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' ||
		    r[10] != ' ' || r[19] != ' ' ||
		    memcmp(r + 20, "GMT", 3) != 0 ||
		    parse_num(r + 1, 2, &d) != 0 ||
		    (m = parse_month(r + 4)) < 0 ||
		    parse_num(r + 8, 2, &y) != 0 ||
		    parse_clock(r + 11, &h, &mi, &s) != 0)
			return -1;
		/* RFC 9110 5.6.7: a two-digit year more than 50 years in
		 * the future is in the past; 1970..2069 here. */
		y += y < 70 ? 2000 : 1900;
	} else if (n == 24) {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (p[3] != ' ' || p[7] != ' ' || p[10] != ' ' ||
		    p[19] != ' ' || (m = parse_month(p + 4)) < 0 ||
		    parse_num(p[8] == ' ' ? p + 9 : p + 8,
		    p[8] == ' ' ? 1 : 2, &d) != 0 ||
		    parse_clock(p + 11, &h, &mi, &s) != 0 ||
		    parse_num(p + 20, 4, &y) != 0)
			return -1;
	} else {
		return -1;
	}
	if (d < 1 || d > 31)
		return -1;
	*t = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + s;
	return 0;
}

void
webresp_decide(const struct webresp_req *req,
    const struct webresp_file files[WEBRESP_NENC], struct webresp *a)
{
	const struct webresp_file *orig = &files[WEBRESP_IDENTITY];
	unsigned ok = webresp_accepts(req->accept_encoding,
	    req->accept_encoding_len);
	const struct webresp_file *f;
	int64_t since;

	memset(a, 0, sizeof(*a));
	a->enc = WEBRESP_IDENTITY;
	/* br first: smaller, and every browser that sends it prefers it. */
	for (int e = WEBRESP_BR; e < WEBRESP_NENC; e++) {
		const struct webresp_file *s = &files[e];

		if (!s->exists || (s->mtime_sec < orig->mtime_sec ||
		    (s->mtime_sec == orig->mtime_sec &&
		    s->mtime_nsec < orig->mtime_nsec)))
			continue;
		/* The answer depends on Accept-Encoding whenever a usable
		 * sibling exists, whichever is sent (RFC 9110 12.5.5). */
		a->vary = true;
		if ((ok & (1u << e)) && a->enc == WEBRESP_IDENTITY)
			a->enc = (enum webresp_enc)e;
	}
	f = &files[a->enc];
	a->content_encoding = enc_names[a->enc];
	a->length = f->size;
	webresp_etag(f, a->etag, sizeof(a->etag));
	webresp_format_date(f->mtime_sec, a->last_modified);
	a->status = 200;
	if (req->if_none_match != NULL) {
		if (webresp_none_match(req->if_none_match,
		    req->if_none_match_len, a->etag))
			a->status = 304;
	} else if (req->if_modified_since != NULL &&
	    webresp_parse_date(req->if_modified_since,
	    req->if_modified_since_len, &since) == 0 &&
	    f->mtime_sec <= since) {
		a->status = 304;
	}
	a->body = a->status == 200 && !req->head && a->length > 0;
}

static size_t
fit(int n, size_t size)
{
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void
field(struct webresp_fields *f, const char *name, const char *lname,
    const char *value)
{
	f->v[f->n].name = name;
	f->v[f->n].lname = lname;
	f->v[f->n].value = value;
	f->n++;
}

void
webresp_fields(const struct webresp *a, const char *content_type,
    const char *cache_control, int64_t now, struct webresp_fields *f)
{
	f->n = 0;
	webresp_format_date(now, f->date);
	snprintf(f->length, sizeof(f->length), "%" PRIu64, a->length);
	field(f, "Date", "date", f->date);
	/* RFC 9110 15.4.5: a 304 has no Content-Length of its own to say
	 * (it would describe the 200), nor a type or coding. */
	if (a->status == 200) {
		field(f, "Content-Type", "content-type", content_type);
		field(f, "Content-Length", "content-length", f->length);
		if (a->content_encoding != NULL)
			field(f, "Content-Encoding", "content-encoding",
			    a->content_encoding);
	}
	field(f, "ETag", "etag", a->etag);
	field(f, "Last-Modified", "last-modified", a->last_modified);
	if (cache_control != NULL)
		field(f, "Cache-Control", "cache-control", cache_control);
	if (a->vary)
		field(f, "Vary", "vary", "Accept-Encoding");
	field(f, "X-Content-Type-Options", "x-content-type-options",
	    "nosniff");
}

size_t
webresp_write_head(const struct webresp *a, const char *content_type,
    const char *cache_control, int64_t now, bool keep_alive, char *out,
    size_t size)
{
	struct webresp_fields f;
	size_t len;
	int n;

	webresp_fields(a, content_type, cache_control, now, &f);
	n = snprintf(out, size, "HTTP/1.1 %d %s\r\n", a->status,
	    handshake_status_text(a->status));
	if ((len = fit(n, size)) == 0)
		return 0;
	for (size_t i = 0; i < f.n; i++) {
		n = snprintf(out + len, size - len, "%s: %s\r\n", f.v[i].name,
		    f.v[i].value);
		if (fit(n, size - len) == 0)
			return 0;
		len += (size_t)n;
	}
	n = snprintf(out + len, size - len, "%s\r\n",
	    keep_alive ? "" : "Connection: close\r\n");
	if (fit(n, size - len) == 0)
		return 0;
	return len + (size_t)n;
}

size_t
webresp_error_body(int status, const char *detail, char *out, size_t size)
{
	int n = snprintf(out, size, "%d %s%s%s\n", status,
	    handshake_status_text(status), detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");

	if (n < 0 || size == 0)
		return 0;
	return (size_t)n < size ? (size_t)n : strlen(out);
}

size_t
webresp_write_error(int status, const char *detail, const char *location,
    size_t location_len, bool head, bool keep_alive, char *out, size_t size)
{
	char body[256];
	int blen = 0;
	int n;

	if (location == NULL)
		blen = (int)webresp_error_body(status, detail, body,
		    sizeof(body));
	if (location_len > 4096)
		return 0;
	n = snprintf(out, size,
	    "HTTP/1.1 %d %s\r\n"
	    "%s%.*s%s"
	    "%s"
	    "Content-Length: %d\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s"
	    "\r\n"
	    "%.*s",
	    status, handshake_status_text(status),
	    location != NULL ? "Location: " : "",
	    location != NULL ? (int)location_len : 0,
	    location != NULL ? location : "",
	    location != NULL ? "/\r\n" : "",
	    blen > 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : "",
	    blen, keep_alive ? "" : "Connection: close\r\n",
	    head ? 0 : blen, body);
	return fit(n, size);
}
