/* forwarded.c -- pure: the client address from Forwarded (RFC 7239) or X-Forwarded-For, past trusted proxies */
#include "forwarded.h"

#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "ipaddr.h"

/* The walk from the right, shared by both header formats. */
struct walk {
	const struct cidr *trusted;
	size_t ntrusted;
	struct forwarded_result *res;
	unsigned examined;
};

static void
walk_start(struct walk *w, const struct cidr *trusted, size_t ntrusted,
    struct forwarded_result *res)
{
	memset(res, 0, sizeof(*res));
	w->trusted = trusted;
	w->ntrusted = ntrusted;
	w->res = res;
	w->examined = 0;
}

/* Room to examine one more entry? */
static int
walk_budget(const struct walk *w, const char **why)
{
	if (w->examined < FORWARDED_MAX_HOPS)
		return 0;
	*why = "more than 32 forwarding entries to walk";
	return CODEC_ERROR;
}

/* One entry (addr NULL: hidden).  Whether the walk goes on leftwards. */
static bool
walk_entry(struct walk *w, const struct sockaddr_storage *addr)
{
	struct forwarded_result *res = w->res;

	w->examined++;
	if (addr == NULL) {
		/* res->addr keeps the last trusted entry, if any. */
		res->kind = FORWARDED_HIDDEN;
		res->all_trusted = false;
		return false;
	}
	res->kind = FORWARDED_CLIENT;
	res->addr = *addr;
	if (!cidr_match(w->trusted, w->ntrusted,
	    (const struct sockaddr *)addr)) {
		res->all_trusted = false;
		return false;
	}
	/* The client, unless an entry further left turns out untrusted. */
	res->hops++;
	res->all_trusted = true;
	return true;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* "[v6]" at s[0..n) (brackets included) into *ss. */
static int
bracketed6(const char *s, size_t n, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return -1;
	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	return ipaddr_parse6(s + 1, n - 2, &sin6->sin6_addr);
}

/* ---- X-Forwarded-For ---------------------------------------------------- */

/* One entry: *hidden, or *ss (n > 0). */
static int
xff_entry(const char *s, size_t n, struct sockaddr_storage *ss, bool *hidden)
{
	const char *colon = memchr(s, ':', n);
	size_t name;
	uint16_t port;

	*hidden = false;
	if (n == 7 && strncasecmp(s, "unknown", 7) == 0) {
		*hidden = true;
		return 0;
	}
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL)
			return -1;
		name = (size_t)(close - s) + 1;
		if (bracketed6(s, name, ss) != 0)
			return -1;
	} else if (colon != NULL &&
	    memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL) {
		return ipaddr_parse(s, n, ss);	/* bare IPv6: no port */
	} else {
		name = colon != NULL ? (size_t)(colon - s) : n;
		if (ipaddr_parse(s, name, ss) != 0)
			return -1;
	}
	if (name == n)
		return 0;
	if (s[name] != ':' ||
	    ipaddr_parse_port(s + name + 1, n - name - 1, &port) != 0)
		return -1;
	set_port(ss, port);
	return 0;
}

int
forwarded_xff(const struct forwarded_field *fields, size_t nfields,
    const struct cidr *trusted, size_t ntrusted,
    struct forwarded_result *res, const char **why)
{
	struct walk w;

	walk_start(&w, trusted, ntrusted, res);
	*why = NULL;
	for (size_t f = nfields; f-- > 0;) {
		const char *p = fields[f].p;
		size_t end = fields[f].n;

		/* Entries from the right; those left of the stop are never
		 * parsed (a client may have put anything there). */
		for (;;) {
			size_t start = end, a, b;
			struct sockaddr_storage ss;
			bool hidden;

			while (start > 0 && p[start - 1] != ',')
				start--;
			a = start;
			b = end;
			while (a < b && is_ows(p[a]))
				a++;
			while (b > a && is_ows(p[b - 1]))
				b--;
			if (a < b) {	/* RFC 9110 5.6.1: empty entries */
				if (walk_budget(&w, why) != 0)
					return CODEC_ERROR;
				if (xff_entry(p + a, b - a, &ss, &hidden) != 0) {
					*why = "X-Forwarded-For: an entry is "
					    "not an IP address";
					return CODEC_ERROR;
				}
				if (!walk_entry(&w, hidden ? NULL : &ss))
					return 0;
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
	return 0;
}

/* ---- Forwarded (RFC 7239) ----------------------------------------------- */

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 5.6.4: qdtext and the characters a quoted-pair may escape. */
static bool
is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

static bool
is_escapable(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

/* One forwarded-element's for= value (raw: still quoted and escaped). */
struct fwd_elem {
	const char *v;
	size_t n;
	bool quoted;
	bool has_for;
};

/* Skip a quoted-string at p[*i] (the opening quote); false if malformed. */
static bool
skip_quoted(const char *p, size_t n, size_t *i)
{
	size_t j = *i + 1;

	while (j < n) {
		unsigned char c = (unsigned char)p[j];

		if (c == '"') {
			*i = j + 1;
			return true;
		}
		if (c == '\\') {
			if (j + 1 >= n || !is_escapable((unsigned char)p[j + 1]))
				return false;
			j += 2;
		} else if (is_qdtext(c)) {
			j++;
		} else {
			return false;
		}
	}
	return false;
}

/*
 * Parse one instance left to right, keeping the last FORWARDED_MAX_HOPS
 * elements in ring (index = element number mod the size); *count is how
 * many it holds in all.
 */
static int
fwd_parse(const char *p, size_t n, struct fwd_elem *ring, size_t *count,
    const char **why)
{
	size_t i = 0;

	*count = 0;
	for (;;) {
		struct fwd_elem e;
		bool any = false;

		memset(&e, 0, sizeof(e));
		while (i < n && is_ows(p[i]))
			i++;
		/* forwarded-element = [ pair ] *( ";" [ pair ] ) */
		for (;;) {
			if (i < n && is_tchar((unsigned char)p[i])) {
				size_t name = i, vstart;

				while (i < n && is_tchar((unsigned char)p[i]))
					i++;
				if (i == n || p[i] != '=') {
					*why = "Forwarded: a parameter without "
					    "'=' and a value";
					return CODEC_ERROR;
				}
				vstart = ++i;
				if (i < n && p[i] == '"') {
					if (!skip_quoted(p, n, &i)) {
						*why = "Forwarded: malformed "
						    "quoted string";
						return CODEC_ERROR;
					}
				} else {
					while (i < n &&
					    is_tchar((unsigned char)p[i]))
						i++;
					if (i == vstart) {
						*why = "Forwarded: a parameter "
						    "without a value (quote "
						    "values with ':' or '[')";
						return CODEC_ERROR;
					}
				}
				/* RFC 7239 4: names are case-insensitive
				 * and occur at most once per element. */
				if (vstart - 1 - name == 3 &&
				    strncasecmp(p + name, "for", 3) == 0) {
					if (e.has_for) {
						*why = "Forwarded: for= twice "
						    "in one element";
						return CODEC_ERROR;
					}
					e.has_for = true;
					e.quoted = p[vstart] == '"';
					e.v = p + vstart + e.quoted;
					e.n = i - vstart - 2 * e.quoted;
				}
				any = true;
			}
			while (i < n && is_ows(p[i]))
				i++;
			if (i < n && p[i] == ';') {
				any = true;
				i++;
				while (i < n && is_ows(p[i]))
					i++;
				continue;
			}
			break;
		}
		if (i < n && p[i] != ',') {
			*why = "Forwarded: unexpected character (values with "
			    "':' or '[' must be quoted)";
			return CODEC_ERROR;
		}
		if (any) {
			ring[*count % FORWARDED_MAX_HOPS] = e;
			(*count)++;
		}
		if (i == n)
			return 0;
		i++;
	}
}

/* RFC 7239 6.3: obfnode and obfport characters. */
static bool
obf_ok(const char *s, size_t n)
{
	if (n < 2 || s[0] != '_')
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* RFC 7239 6.3: node-port = port / obfport; port = 1*5DIGIT.  -1: none. */
static long
fwd_port(const char *s, size_t n)
{
	long v = 0;

	if (obf_ok(s, n))
		return -1;
	if (n == 0 || n > 5)
		return -2;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -2;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -2;
}

/* RFC 7239 6: node = nodename [ ":" node-port ].  *hidden, or *ss. */
static int
fwd_node(const char *s, size_t n, struct sockaddr_storage *ss, bool *hidden)
{
	const char *end;
	size_t name;
	long port = -1;

	*hidden = false;
	if (n == 0)
		return -1;
	end = memchr(s, s[0] == '[' ? ']' : ':', n);
	if (s[0] == '[') {
		if (end == NULL)
			return -1;
		name = (size_t)(end - s) + 1;
	} else {
		name = end != NULL ? (size_t)(end - s) : n;
	}
	if (name < n) {
		if (s[name] != ':')
			return -1;
		port = fwd_port(s + name + 1, n - name - 1);
		if (port == -2)
			return -1;
	}
	if ((name == 7 && strncasecmp(s, "unknown", 7) == 0) ||
	    obf_ok(s, name)) {
		*hidden = true;
		return 0;
	}
	if (s[0] == '[') {
		if (bracketed6(s, name, ss) != 0)
			return -1;
	} else {
		/* name stops at the first ':', so a bare IPv6 address
		 * fails here: RFC 7239 6 wants it in brackets. */
		memset(ss, 0, sizeof(*ss));
		ss->ss_family = AF_INET;
		if (ipaddr_parse4(s, name,
		    &((struct sockaddr_in *)ss)->sin_addr) != 0)
			return -1;
	}
	if (port >= 0)
		set_port(ss, (uint16_t)port);
	return 0;
}

/* The element's for= value, unquoted, as an address (or hidden). */
static int
fwd_elem_addr(const struct fwd_elem *e, struct sockaddr_storage *ss,
    bool *hidden, const char **why)
{
	char node[FORWARDED_NODE_MAX];
	size_t n = 0;

	if (!e->has_for) {
		/* RFC 7239 5.2: the hop did not say who its client was. */
		*hidden = true;
		return 0;
	}
	for (size_t i = 0; i < e->n; i++) {
		char c = e->v[i];

		if (e->quoted && c == '\\')
			c = e->v[++i];	/* skip_quoted checked it exists */
		if (n == sizeof(node)) {
			*why = "Forwarded: for= value longer than 64 bytes";
			return CODEC_ERROR;
		}
		node[n++] = c;
	}
	if (fwd_node(node, n, ss, hidden) != 0) {
		*why = "Forwarded: for= is not an address, \"unknown\" or an "
		    "obfuscated identifier (RFC 7239 6; IPv6 as "
		    "\"[2001:db8::1]\")";
		return CODEC_ERROR;
	}
	return 0;
}

int
forwarded_rfc7239(const struct forwarded_field *fields, size_t nfields,
    const struct cidr *trusted, size_t ntrusted,
    struct forwarded_result *res, const char **why)
{
	struct fwd_elem ring[FORWARDED_MAX_HOPS];
	struct walk w;

	walk_start(&w, trusted, ntrusted, res);
	*why = NULL;
	for (size_t f = nfields; f-- > 0;) {
		size_t count;

		if (fwd_parse(fields[f].p, fields[f].n, ring, &count, why) != 0)
			return CODEC_ERROR;
		/* The ring holds the last FORWARDED_MAX_HOPS elements: the
		 * budget stops the walk before it needs an older one. */
		for (size_t k = count; k-- > 0;) {
			struct sockaddr_storage ss;
			bool hidden;

			if (walk_budget(&w, why) != 0)
				return CODEC_ERROR;
			if (fwd_elem_addr(&ring[k % FORWARDED_MAX_HOPS], &ss,
			    &hidden, why) != 0)
				return CODEC_ERROR;
			if (!walk_entry(&w, hidden ? NULL : &ss))
				return 0;
		}
	}
	return 0;
}
