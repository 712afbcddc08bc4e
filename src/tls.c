/* tls.c -- TLS through OpenSSL: contexts built from the config, TLS bufferevents for clients and backends */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "file.h"
#include "log.h"
#include "metrics.h"
#include "sni.h"
#include "target.h"
#include "ticketkey.h"

/*
 * Mozilla's "intermediate" configuration (v5.7) for TLS 1.2: forward
 * secret AEAD suites only.  TLS 1.3 suites stay OpenSSL's defaults, which
 * are the same three Mozilla lists.  Clients pick the order (Mozilla:
 * no server preference, since every suite here is strong).
 */
#define TLS_INTERMEDIATE_CIPHERS                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"          \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"          \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"          \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"                \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS "X25519:prime256v1:secp384r1"

/*
 * No compression (CRIME), no renegotiation (RFC 5746 attacks, CPU abuse),
 * and no session tickets: tls_tickets_apply() turns them on for listener
 * contexts when tls_session_tickets says so (there is never a session
 * cache).  A peer that closes TCP without close_notify is an ordinary
 * EOF: WebSocket has its own close handshake, and plain TCP backends
 * could not tell truncation either.
 */
#define TLS_OPTIONS                                                           \
	(SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | \
	    SSL_OP_IGNORE_UNEXPECTED_EOF)

/* Where a listener certificate file's chain ends. */
enum tls_anchor {
	TLS_ANCHOR_NONE,	/* at an issuer wsgate cannot see */
	TLS_ANCHOR_FILE,	/* at a self-signed certificate in the file */
	TLS_ANCHOR_SYSTEM,	/* at a CA of the system store */
};

/* What a listener certificate file's chain was found to be at load. */
struct tls_chain {
	int ncerts;		/* certificates in the file, leaf first */
	enum tls_anchor anchor;
	X509_NAME *end;		/* TLS_ANCHOR_NONE: the issuer it stops at */
};

/* One listener certificate ([gateway] or [tls:NAME]). */
struct tls_cert {
	SSL_CTX *ctx;
	struct tls_chain chain;
};

struct tls_tickets;

struct tls_server {
	const struct config *cfg;	/* owner: sni_select reads tls_sni */
	struct tls_cert dflt;		/* [gateway]: handshakes start here */
	struct tls_cert *sni;		/* parallel to cfg->tls_sni */
	size_t nsni;
	struct tls_tickets *tickets;	/* NULL: tls_session_tickets = no */
};

struct tls_client {
	SSL_CTX *ctx;
};

/* OpenSSL's queued errors as "reason; reason", emptying the queue. */
static const char *
tls_queue_text(char *buf, size_t size)
{
	unsigned long e;
	size_t n = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		char unknown[32];

		if (r == NULL) {
			snprintf(unknown, sizeof(unknown), "error %lx", e);
			r = unknown;
		}
		if (strstr(buf, r) != NULL || n + 3 >= size)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
		    n > 0 ? "; " : "", r);
		if (n >= size)
			n = size - 1;
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "unknown OpenSSL error");
	return buf;
}

/* Keys with a passphrase would make OpenSSL prompt on the terminal:
 * refuse them instead, with a message. */
static int
tls_no_password_cb(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* Keys are read without a passphrase: never prompt on a terminal. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* websockify's --key-password: set once before any thread, then only
 * read (by every load of a listener key, reloads too). */
static char *key_password;

void
tls_set_key_password(const char *password)
{
	if (key_password != NULL) {
		OPENSSL_clear_free(key_password, strlen(key_password));
		key_password = NULL;
	}
	if (password != NULL)
		key_password = OPENSSL_strdup(password);
}

/* The passphrase of an encrypted key: arg is it, or NULL for none. */
static int
tls_passphrase(char *buf, int size, int rwflag, void *arg)
{
	const char *pw = arg;
	size_t n;

	(void)rwflag;
	if (pw == NULL || size <= 0)
		return 0;
	n = strlen(pw);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, pw, n);
	return (int)n;
}

/*
 * A PEM file as a memory BIO, read whole through file_read(): a regular
 * file of bounded size.  (OpenSSL's own *_file() calls would open
 * whatever the path names by the time they run: a FIFO swapped in after
 * the check would block, a device would never end.)  *buf is to be
 * released with tls_pem_close.  NULL after reporting.
 */
static BIO *
tls_pem_open(const struct config_str *f, const char *section,
    const char *key, struct config_errors *errs, char **buf, size_t *len)
{
	const char *why;
	BIO *bio;

	*buf = NULL;
	if (file_read(f->s, buf, len, &why) != FILE_OK) {
		config_error_at(errs, &f->where, section, key, "%s: %s", f->s,
		    why);
		return NULL;
	}
	bio = BIO_new_mem_buf(*buf, (int)*len);
	if (bio == NULL) {
		config_error_at(errs, &f->where, section, key, "%s: out of "
		    "memory", f->s);
		free(*buf);
		*buf = NULL;
	}
	return bio;
}

static void
tls_pem_close(BIO *bio, char *buf, size_t len)
{
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);	/* it may hold a key */
		free(buf);
	}
}

/* Whether the last PEM read stopped at the end of the input (no further
 * block), rather than at a broken one. */
static bool
tls_pem_at_end(void)
{
	unsigned long err = ERR_peek_last_error();

	if (ERR_GET_LIB(err) == ERR_LIB_PEM &&
	    ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return true;
	}
	return false;
}

/* What SSL_CTX_use_certificate_chain_file does, from memory: the leaf,
 * then every further certificate as the chain sent with it. */
static int
tls_use_chain(SSL_CTX *ctx, BIO *bio)
{
	X509 *x = PEM_read_bio_X509_AUX(bio, NULL, tls_no_passphrase, NULL);

	if (x == NULL)
		return -1;
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	if (SSL_CTX_clear_chain_certs(ctx) != 1)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, tls_no_passphrase,
	    NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			return -1;
		}
	}
	return tls_pem_at_end() ? 0 : -1;
}

/*
 * Every certificate of a PEM CA file into store, and (names != NULL)
 * their subjects into names, for the CertificateRequest.  The number
 * added; 0 when the file holds none or a broken block.
 */
static int
tls_add_cas(BIO *bio, X509_STORE *store, STACK_OF(X509_NAME) *names)
{
	STACK_OF(X509_INFO) *infos;
	int n = 0;

	infos = PEM_X509_INFO_read_bio(bio, NULL, tls_no_passphrase, NULL);
	if (infos == NULL)
		return 0;
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);
		X509_NAME *name;

		if (info->x509 == NULL)
			continue;
		if (X509_STORE_add_cert(store, info->x509) != 1) {
			n = 0;
			break;
		}
		if (names != NULL) {
			name = X509_NAME_dup(X509_get_subject_name(
			    info->x509));
			if (name == NULL || sk_X509_NAME_push(names, name) <=
			    0) {
				X509_NAME_free(name);
				n = 0;
				break;
			}
		}
		n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return n;
}

/* A CA file named by key into ctx's verify store (and its names into
 * *names when asked for); -1 after reporting. */
static int
tls_load_cas(SSL_CTX *ctx, const struct config_str *f, const char *section,
    const char *key, STACK_OF(X509_NAME) **names,
    struct config_errors *errs)
{
	char why[256], *buf;
	size_t len;
	BIO *bio = tls_pem_open(f, section, key, errs, &buf, &len);
	int n;

	if (bio == NULL)
		return -1;
	if (names != NULL && (*names = sk_X509_NAME_new_null()) == NULL) {
		tls_pem_close(bio, buf, len);
		return -1;
	}
	ERR_clear_error();
	n = tls_add_cas(bio, SSL_CTX_get_cert_store(ctx),
	    names != NULL ? *names : NULL);
	tls_pem_close(bio, buf, len);
	if (n > 0)
		return 0;
	config_error_at(errs, &f->where, section, key, "%s: no PEM CA "
	    "certificate could be loaded: %s", f->s,
	    tls_queue_text(why, sizeof(why)));
	if (names != NULL) {
		sk_X509_NAME_pop_free(*names, X509_NAME_free);
		*names = NULL;
	}
	return -1;
}

/* Certificate chain and private key into ctx; -1 after reporting. */
static int
tls_load_pair(SSL_CTX *ctx, const char *section, const char *cert_key,
    const struct config_str *cert, const char *key_key,
    const struct config_str *key, const char *password,
    struct config_errors *errs)
{
	char why[256], *buf;
	mode_t mode = 0;
	EVP_PKEY *pkey;
	size_t len;
	BIO *bio;
	int rc;

	if ((bio = tls_pem_open(cert, section, cert_key, errs, &buf,
	    &len)) == NULL)
		return -1;
	ERR_clear_error();
	rc = tls_use_chain(ctx, bio);
	tls_pem_close(bio, buf, len);
	if (rc != 0) {
		config_error_at(errs, &cert->where, section, cert_key,
		    "%s: cannot load a PEM certificate chain: %s", cert->s,
		    tls_queue_text(why, sizeof(why)));
		return -1;
	}
	if (file_world_readable(key->s, &mode)) {
		config_error_at(errs, &key->where, section, key_key,
		    "%s: private key readable by every user (mode %04o); "
		    "run chmod 600 (or 640 for a group) on it", key->s,
		    (unsigned)mode);
		return -1;
	}
	if ((bio = tls_pem_open(key, section, key_key, errs, &buf,
	    &len)) == NULL)
		return -1;
	ERR_clear_error();
	pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_passphrase,
	    (void *)password);
	tls_pem_close(bio, buf, len);
	if (pkey == NULL || SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		EVP_PKEY_free(pkey);
		config_error_at(errs, &key->where, section, key_key,
		    "%s: cannot load a PEM private key (%s): %s", key->s,
		    password != NULL ? "with --key-password" :
		    "without a passphrase", tls_queue_text(why, sizeof(why)));
		return -1;
	}
	EVP_PKEY_free(pkey);
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		config_error_at(errs, &key->where, section, key_key,
		    "%s does not match the certificate in %s", key->s,
		    cert->s);
		return -1;
	}
	return 0;
}

static void tls_name_cn(const X509_NAME *name, char *out, size_t size);

/* What the chain check tolerates and leaves to its caller to judge. */
struct tls_chain_probe {
	bool unseen;		/* the top's issuer is nowhere to be found */
	bool self_signed;	/* the top is self-signed, not in the store */
};

static int
tls_chain_verify_cb(int ok, X509_STORE_CTX *x)
{
	struct tls_chain_probe *p = X509_STORE_CTX_get_app_data(x);

	if (ok)
		return 1;
	switch (X509_STORE_CTX_get_error(x)) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		p->unseen = true;
		return 1;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		/* A self-signed certificate in the file ends the chain:
		 * the clients decide whether they trust it. */
		p->self_signed = true;
		return 1;
	default:
		return 0;
	}
}

/*
 * Whether the certificates ctx sends build a chain (RFC 8446 4.4.2: each
 * certifies the one before it): OpenSSL's own chain building and checks
 * (issuer names, key identifiers, signatures, CA flags, path lengths), on
 * the file's certificates and the system CA store, without the validity
 * dates (an expired certificate loads, with a warning).  The chain may
 * end at a self-signed certificate or a CA of the system store
 * (anchored), or stop at an issuer wsgate cannot see: a private CA the
 * clients trust, or a file copied halfway (tls_reload_check tells these
 * apart).  -1 with why when it does not build.
 */
static int
tls_chain_check(SSL_CTX *ctx, X509_STORE *store, struct tls_chain *chain,
    char *why, size_t size)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	STACK_OF(X509) *extra = NULL;
	struct tls_chain_probe probe = { false, false };
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	int rc = -1;

	SSL_CTX_get0_chain_certs(ctx, &extra);
	chain->ncerts = 1 + (extra != NULL ? sk_X509_num(extra) : 0);
	if (x == NULL || leaf == NULL ||
	    X509_STORE_CTX_init(x, store, leaf, extra) != 1) {
		snprintf(why, size, "cannot check the certificate chain");
		goto out;
	}
	X509_STORE_CTX_set_flags(x, X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_CTX_set_verify_cb(x, tls_chain_verify_cb);
	X509_STORE_CTX_set_app_data(x, &probe);
	if (X509_verify_cert(x) != 1) {
		X509 *bad = X509_STORE_CTX_get_current_cert(x);
		int err = X509_STORE_CTX_get_error(x);
		char cn[160];

		tls_name_cn(bad != NULL ? X509_get_subject_name(bad) : NULL, cn,
		    sizeof(cn));
		snprintf(why, size, "the certificate chain does not build: "
		    "certificate %d (CN=%s): %s",
		    X509_STORE_CTX_get_error_depth(x) + 1, cn,
		    err != X509_V_OK ? X509_verify_cert_error_string(err) :
		    "cannot be checked");
		goto out;
	}
	chain->anchor = probe.unseen ? TLS_ANCHOR_NONE : probe.self_signed ?
	    TLS_ANCHOR_FILE : TLS_ANCHOR_SYSTEM;
	if (probe.unseen) {
		STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(x);
		X509 *top = sk_X509_value(built, sk_X509_num(built) - 1);

		chain->end = top != NULL ?
		    X509_NAME_dup(X509_get_issuer_name(top)) : NULL;
		if (chain->end == NULL) {
			snprintf(why, size, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	X509_STORE_CTX_free(x);
	ERR_clear_error();
	return rc;
}

static void
tls_ctx_common(SSL_CTX *ctx, const struct config *cfg)
{
	SSL_CTX_set_min_proto_version(ctx, cfg->tls_min_version == 13 ?
	    TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, TLS_OPTIONS);
	/* Idle connections give their 2 x 16 KiB record buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_password_cb);
}

/* SSL ex_data: non-NULL when the connection's listener offers h2. */
static pthread_once_t tls_h2_once = PTHREAD_ONCE_INIT;
static int tls_h2_idx = -1;

static void
tls_h2_index_init(void)
{
	tls_h2_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/*
 * RFC 7301: a client offering http/1.1 gets it; WebSocket over TLS is
 * HTTP/1.1 (RFC 6455 4.1), or an HTTP/2 stream (RFC 8441) where the
 * listener offers h2, which is then preferred (RFC 9113 3.2: the client
 * lists what it can, the server picks).  Offers without either get no
 * ALPN answer.
 */
static int
tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "\x08http/1.1";
	static const unsigned char both[] = "\x02h2\x08http/1.1";
	bool h2 = tls_h2_idx >= 0 && SSL_get_ex_data(ssl, tls_h2_idx) != NULL;
	unsigned char *sel = NULL;
	unsigned char sellen = 0;

	(void)arg;
	if (SSL_select_next_proto(&sel, &sellen, h2 ? both : http11,
	    h2 ? sizeof(both) - 1 : sizeof(http11) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	*outlen = sellen;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * Session resumption by tickets (RFC 5077; RFC 8446 4.6.1): the session
 * state goes to the client encrypted under a key only the gateway holds,
 * so nothing is cached here.  The keys (ticketkey.c) are in a ring behind
 * a lock, since OpenSSL calls tls_ticket_cb from every worker and a
 * rotation writes the ring.  Generated keys are process-wide: every
 * configuration generation takes a reference to the same ring, so a
 * reload keeps resuming; the ring goes when no configuration uses it
 * (tickets turned off).  A key file gives each generation a ring of its
 * own, read again on every reload.  Key material lives in pages left out
 * of core dumps, and is wiped when dropped: it is never written anywhere.
 */
struct tls_keyring {
	pthread_mutex_t lock;
	struct ticketkey_ring ring;
	int refs;		/* generated ring: under tls_generated_lock */
};

/* One configuration generation's tickets, shared by its contexts. */
struct tls_tickets {
	struct tls_keyring *keys;
	EVP_CIPHER *aes;	/* AES-256-CBC, fetched once */
	uint64_t lifetime_us;
};

static pthread_mutex_t tls_generated_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_keyring *tls_generated;	/* NULL: nobody uses it */
static pthread_once_t tls_tickets_once = PTHREAD_ONCE_INIT;
static int tls_tickets_idx = -1;	/* SSL_CTX ex_data: tls_tickets */

static void
tls_tickets_index_init(void)
{
	tls_tickets_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static uint64_t
tls_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct tls_keyring *
tls_keyring_new(void)
{
	struct tls_keyring *kr = mmap(NULL, sizeof(*kr),
	    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (kr == MAP_FAILED)
		return NULL;
	(void)madvise(kr, sizeof(*kr), MADV_DONTDUMP);
	if (pthread_mutex_init(&kr->lock, NULL) != 0) {
		munmap(kr, sizeof(*kr));
		return NULL;
	}
	ticketkey_ring_init(&kr->ring);
	kr->refs = 1;
	return kr;
}

static void
tls_keyring_free(struct tls_keyring *kr)
{
	ticketkey_wipe(&kr->ring);
	pthread_mutex_destroy(&kr->lock);
	munmap(kr, sizeof(*kr));
}

/* The process-wide ring of generated keys, one more reference. */
static struct tls_keyring *
tls_generated_acquire(void)
{
	struct tls_keyring *kr;

	pthread_mutex_lock(&tls_generated_lock);
	if (tls_generated == NULL)
		tls_generated = tls_keyring_new();
	else
		tls_generated->refs++;
	kr = tls_generated;
	pthread_mutex_unlock(&tls_generated_lock);
	return kr;
}

static void
tls_keyring_release(struct tls_keyring *kr)
{
	bool last = true;

	if (kr == NULL)
		return;
	if (kr->ring.generated) {	/* set once, before sharing */
		pthread_mutex_lock(&tls_generated_lock);
		last = --kr->refs == 0;
		if (last)
			tls_generated = NULL;
		pthread_mutex_unlock(&tls_generated_lock);
	}
	if (last)
		tls_keyring_free(kr);
}

static void
tls_tickets_free(struct tls_tickets *tt)
{
	if (tt == NULL)
		return;
	tls_keyring_release(tt->keys);
	EVP_CIPHER_free(tt->aes);
	free(tt);
}

/*
 * OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb):
 * enc: name the current key and set up AES-256-CBC and HMAC-SHA256 with
 * it (1).  Else find the key the ticket names: 1 for the current one, 2
 * for an older one (OpenSSL then issues a fresh ticket), 0 for none (a
 * full handshake).  TLS 1.3 always gets a fresh ticket (2): clients use
 * each ticket once (RFC 8446 C.4), so without one the next connection
 * would be a full handshake.  A generated ring rotates here, at the first
 * use after its key's lifetime: no timer, no thread.
 */
static int
tls_ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const struct tls_tickets *tt = SSL_CTX_get_ex_data(
	    SSL_get_SSL_CTX(ssl), tls_tickets_idx);
	struct tls_keyring *kr;
	struct ticketkey k;
	OSSL_PARAM params[3];
	uint64_t now = tls_now_us();
	int rc = 0, i;

	if (tt == NULL)
		return 0;
	kr = tt->keys;
	pthread_mutex_lock(&kr->lock);
	if (ticketkey_due(&kr->ring, now, tt->lifetime_us)) {
		uint8_t m[TICKETKEY_SIZE];

		/* Without randomness, keep the key we have. */
		if (RAND_bytes(m, sizeof(m)) == 1)
			ticketkey_rotate(&kr->ring, m, now, tt->lifetime_us);
		OPENSSL_cleanse(m, sizeof(m));
	}
	i = enc ? (kr->ring.n > 0 ? 0 : -1) :
	    ticketkey_find(&kr->ring, name, now);
	if (i >= 0) {
		k = kr->ring.key[i];
		rc = i == 0 && (enc || SSL_version(ssl) < TLS1_3_VERSION) ?
		    1 : 2;
	}
	pthread_mutex_unlock(&kr->lock);
	if (rc == 0) {
		ERR_clear_error();
		return 0;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, k.name, TICKETKEY_NAME_LEN);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(tt->aes)) != 1 ||
		    EVP_EncryptInit_ex(cctx, tt->aes, NULL, k.aes, iv) != 1)
			rc = -1;
	} else if (EVP_DecryptInit_ex(cctx, tt->aes, NULL, k.aes, iv) != 1) {
		rc = -1;
	}
	if (rc > 0 && EVP_MAC_CTX_set_params(hctx, params) != 1)
		rc = -1;
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

/* Tickets on for a listener context: one per handshake (a WebSocket
 * client reconnects a connection at a time), valid for the lifetime. */
static void
tls_tickets_apply(SSL_CTX *ctx, struct tls_tickets *tt)
{
	if (ctx == NULL)
		return;
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_timeout(ctx, (long)((tt->lifetime_us + 999999) / 1000000));
	SSL_CTX_set_ex_data(ctx, tls_tickets_idx, tt);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb);
}

/*
 * A key file (tls_ticket_key_file) into a ring of its own: a regular file
 * of bounded size (file_read), not readable by every user (its keys open
 * and forge tickets), holding whole 80-byte keys.  NULL after reporting.
 */
static struct tls_keyring *
tls_keyfile_load(const struct config_str *f, struct config_errors *errs)
{
	struct tls_keyring *kr;
	const char *why;
	mode_t mode = 0;
	size_t len;
	char *buf;

	if (file_world_readable(f->s, &mode)) {
		config_error_at(errs, &f->where, "gateway",
		    "tls_ticket_key_file", "%s: readable by every user (mode "
		    "%04o), who could then open and forge session tickets; "
		    "run chmod 600 (or 640 for a group) on it", f->s,
		    (unsigned)mode);
		return NULL;
	}
	if (file_read(f->s, &buf, &len, &why) != FILE_OK) {
		config_error_at(errs, &f->where, "gateway",
		    "tls_ticket_key_file", "%s: %s", f->s, why);
		return NULL;
	}
	kr = tls_keyring_new();
	if (kr == NULL) {
		config_error_at(errs, &f->where, "gateway",
		    "tls_ticket_key_file", "%s: out of memory", f->s);
	} else if (ticketkey_file_parse((const uint8_t *)buf, len, &kr->ring,
	    &why) != 0) {
		config_error_at(errs, &f->where, "gateway",
		    "tls_ticket_key_file", "%s: %zu bytes: %s; it holds 1 to "
		    "%d keys of %d random bytes each, the first one encrypting "
		    "(make one with: openssl rand %d > %s)", f->s, len, why,
		    TICKETKEY_MAX, TICKETKEY_SIZE, TICKETKEY_SIZE, f->s);
		tls_keyring_free(kr);
		kr = NULL;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return kr;
}

/* Tickets for every listener context of ts (cfg has them on); the keys
 * from the key file, or the shared generated ones.  -1 after reporting. */
static int
tls_tickets_load(const struct config *cfg, struct tls_server *ts,
    struct config_errors *errs)
{
	struct tls_tickets *tt;

	pthread_once(&tls_tickets_once, tls_tickets_index_init);
	tt = calloc(1, sizeof(*tt));
	if (tt == NULL || tls_tickets_idx < 0) {
		free(tt);
		config_error_at(errs, &cfg->tls_default.where, "gateway",
		    "tls_session_tickets", "out of memory");
		return -1;
	}
	tt->lifetime_us = (uint64_t)(cfg->tls_ticket_lifetime * 1e6);
	tt->keys = cfg->tls_ticket_key_file.s != NULL ?
	    tls_keyfile_load(&cfg->tls_ticket_key_file, errs) :
	    tls_generated_acquire();
	tt->aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (tt->keys == NULL || tt->aes == NULL) {
		if (cfg->tls_ticket_key_file.s == NULL || tt->keys != NULL)
			config_error_at(errs, &cfg->tls_default.where,
			    "gateway", "tls_session_tickets", "cannot set up "
			    "session ticket keys");
		tls_tickets_free(tt);
		return -1;
	}
	ts->tickets = tt;
	tls_tickets_apply(ts->dflt.ctx, tt);
	for (size_t i = 0; i < ts->nsni; i++)
		tls_tickets_apply(ts->sni[i].ctx, tt);
	return 0;
}

static int
tls_digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SHA256_DIGEST_LENGTH);
}

/*
 * The session ID context of a listener certificate's sessions: OpenSSL
 * resumes a session (ticket) only where the context is the one it was
 * made with.  So it is a digest of the section and of every setting a
 * resumed handshake skips: the client certificate checks (mode and CAs: a
 * resumed session keeps the identity verified when it was made),
 * versions and ciphers.  A reload that changes none of them keeps
 * resumption; one that does ends it.  -1 on failure.
 */
static int
tls_session_context(SSL_CTX *ctx, const struct config *cfg,
    const char *section)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(
	    SSL_CTX_get_cert_store(ctx));
	int nobjs = objs != NULL ? sk_X509_OBJECT_num(objs) : 0;
	unsigned char md[EVP_MAX_MD_SIZE], (*cas)[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	size_t ncas = 0;
	char settings[64];
	int rc = -1;

	cas = calloc((size_t)nobjs + 1, sizeof(*cas));
	if (h == NULL || cas == NULL ||
	    EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		goto out;
	for (int i = 0; i < nobjs; i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x != NULL && X509_digest(x, EVP_sha256(), cas[ncas],
		    &mdlen) == 1)
			ncas++;
	}
	/* The store's order is its own business: sort. */
	qsort(cas, ncas, sizeof(*cas), tls_digest_cmp);
	snprintf(settings, sizeof(settings), "%u %d %d", cfg->tls_min_version,
	    (int)cfg->tls_verify_client, (int)ncas);
	if (EVP_DigestUpdate(h, "wsgate sessions 1", 18) != 1 ||
	    EVP_DigestUpdate(h, section, strlen(section) + 1) != 1 ||
	    EVP_DigestUpdate(h, settings, strlen(settings) + 1) != 1 ||
	    EVP_DigestUpdate(h, cfg->tls_ciphers.s != NULL ?
	    cfg->tls_ciphers.s : "", cfg->tls_ciphers.s != NULL ?
	    strlen(cfg->tls_ciphers.s) + 1 : 1) != 1 ||
	    EVP_DigestUpdate(h, cfg->tls_ciphersuites.s != NULL ?
	    cfg->tls_ciphersuites.s : "", cfg->tls_ciphersuites.s != NULL ?
	    strlen(cfg->tls_ciphersuites.s) + 1 : 1) != 1 ||
	    (ncas > 0 && EVP_DigestUpdate(h, cas, ncas * sizeof(*cas)) != 1) ||
	    EVP_DigestFinal_ex(h, md, &mdlen) != 1)
		goto out;
	if (mdlen > SSL_MAX_SID_CTX_LENGTH)
		mdlen = SSL_MAX_SID_CTX_LENGTH;
	rc = SSL_CTX_set_session_id_context(ctx, md, mdlen) == 1 ? 0 : -1;
out:
	EVP_MD_CTX_free(h);
	free(cas);
	return rc;
}

/*
 * Move a handshake to the [tls:NAME] context its server name selects as
 * soon as the ClientHello is in, before OpenSSL looks at the session it
 * offers: a session then resumes only under the certificate and settings
 * it was made with (tls_session_context).  The servername callback comes
 * after that decision, too late.
 */
static int
tls_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_server *ts = arg;
	char name[SNI_HOST_MAX + 1];
	const unsigned char *ext;
	size_t len;
	int i;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext,
	    &len) != 1 || sni_from_extension(ext, len, name, sizeof(name)) != 0)
		return SSL_CLIENT_HELLO_SUCCESS;	/* OpenSSL judges */
	i = sni_select(ts->cfg->tls_sni, ts->cfg->ntls_sni, name);
	if (i >= 0 && (size_t)i < ts->nsni &&
	    SSL_set_SSL_CTX(ssl, ts->sni[i].ctx) == NULL) {
		*alert = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* The system CA store, read once per load when a chain needs it. */
static X509_STORE *
tls_system_store(X509_STORE **store)
{
	if (*store == NULL) {
		*store = X509_STORE_new();
		if (*store != NULL && X509_STORE_set_default_paths(*store) != 1)
			ERR_clear_error();	/* none: nothing is anchored */
	}
	return *store;
}

/* One listener certificate into out; the client CA and ciphers were
 * checked with the default one (report_shared) and are only applied to
 * the others.  store: the system CA store, read when first needed. */
static int
tls_server_ctx_new(const struct config *cfg, const struct tls_cert_spec *t,
    bool report_shared, X509_STORE **store, struct tls_cert *out,
    struct config_errors *errs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	int bad = 0;

	if (ctx == NULL) {
		config_error_at(errs, &t->where, t->section, NULL,
		    "cannot create a TLS context: %s",
		    tls_queue_text(why, sizeof(why)));
		return -1;
	}
	tls_ctx_common(ctx, cfg);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set1_groups_list(ctx, TLS_GROUPS);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_cb, NULL);

	ERR_clear_error();
	if (SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers.s != NULL ?
	    cfg->tls_ciphers.s : TLS_INTERMEDIATE_CIPHERS) != 1) {
		bad = 1;
		if (report_shared)
			config_error_at(errs, &cfg->tls_ciphers.where,
			    "gateway", "tls_ciphers", "\"%s\": no usable "
			    "cipher (OpenSSL cipher list syntax, e.g. "
			    "ECDHE-RSA-AES128-GCM-SHA256:...): %s",
			    cfg->tls_ciphers.s,
			    tls_queue_text(why, sizeof(why)));
	}
	if (cfg->tls_ciphersuites.s != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites.s) != 1) {
		bad = 1;
		if (report_shared)
			config_error_at(errs, &cfg->tls_ciphersuites.where,
			    "gateway", "tls_ciphersuites", "\"%s\": not a "
			    "TLS 1.3 suite list (e.g. TLS_AES_128_GCM_SHA256:"
			    "TLS_AES_256_GCM_SHA384): %s",
			    cfg->tls_ciphersuites.s,
			    tls_queue_text(why, sizeof(why)));
	}
	if (cfg->tls_verify_client != TLS_VERIFY_OFF) {
		STACK_OF(X509_NAME) *names = NULL;
		struct config_errors none = { NULL, 0 };

		if (tls_load_cas(ctx, &cfg->tls_client_ca, "gateway",
		    "tls_client_ca", &names, report_shared ? errs : &none) !=
		    0) {
			bad = 1;
			config_errors_free(&none);
		} else {
			/* The CertificateRequest lists these CAs, so a
			 * browser offers only matching certificates. */
			SSL_CTX_set_client_CA_list(ctx, names);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    (cfg->tls_verify_client == TLS_VERIFY_REQUIRED ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	if (t->cert.s == NULL || t->key.s == NULL ||
	    tls_load_pair(ctx, t->section, "tls_cert", &t->cert, "tls_key",
	    &t->key, key_password, errs) != 0) {
		bad = 1;
	} else if (tls_system_store(store) == NULL ||
	    tls_chain_check(ctx, *store, &out->chain, why, sizeof(why)) != 0) {
		config_error_at(errs, &t->cert.where, t->section, "tls_cert",
		    "%s: %s", t->cert.s, *store == NULL ? "out of memory" : why);
		bad = 1;
	}
	if (!bad && tls_session_context(ctx, cfg, t->section) != 0) {
		config_error_at(errs, &t->where, t->section, NULL,
		    "cannot set the session context: %s",
		    tls_queue_text(why, sizeof(why)));
		bad = 1;
	}
	ERR_clear_error();
	if (bad) {
		SSL_CTX_free(ctx);
		return -1;
	}
	out->ctx = ctx;
	return 0;
}

/* Every handshake starts on the default context; the ClientHello's
 * server name may move it to a [tls:NAME] one (RFC 6066 3). */
static int
tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_server *ts = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int i = sni_select(ts->cfg->tls_sni, ts->cfg->ntls_sni, name);

	(void)alert;
	/* Unknown names get the default certificate, not an alert: the
	 * client then decides, and says why. */
	if (i >= 0 && (size_t)i < ts->nsni &&
	    SSL_set_SSL_CTX(ssl, ts->sni[i].ctx) == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

static void
tls_cert_free(struct tls_cert *c)
{
	SSL_CTX_free(c->ctx);
	X509_NAME_free(c->chain.end);
}

static void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	tls_tickets_free(ts->tickets);
	tls_cert_free(&ts->dflt);
	for (size_t i = 0; i < ts->nsni; i++)
		tls_cert_free(&ts->sni[i]);
	free(ts->sni);
	free(ts);
}

static struct tls_client *
tls_client_new(const struct config *cfg, const struct route *r,
    struct config_errors *errs)
{
	struct tls_client *tc;
	char section[160], why[256];
	SSL_CTX *ctx;

	snprintf(section, sizeof(section), "route:%s", r->name);
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		config_error_at(errs, &r->where, section, "backend_tls",
		    "cannot create a TLS context: %s",
		    tls_queue_text(why, sizeof(why)));
		return NULL;
	}
	tls_ctx_common(ctx, cfg);
	ERR_clear_error();
	if (r->backend_tls_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (r->backend_tls_ca.s != NULL) {
			if (tls_load_cas(ctx, &r->backend_tls_ca, section,
			    "backend_tls_ca", NULL, errs) != 0) {
				SSL_CTX_free(ctx);
				return NULL;
			}
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
			config_error_at(errs, &r->where, section,
			    "backend_tls_ca", "missing, and the system CA "
			    "store cannot be read: %s",
			    tls_queue_text(why, sizeof(why)));
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	if (r->backend_tls_cert.s != NULL && r->backend_tls_key.s != NULL &&
	    tls_load_pair(ctx, section, "backend_tls_cert",
	    &r->backend_tls_cert, "backend_tls_key", &r->backend_tls_key,
	    NULL, errs) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	tc = calloc(1, sizeof(*tc));
	if (tc == NULL) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	tc->ctx = ctx;
	return tc;
}

static void
tls_config_free(struct config *cfg)
{
	tls_server_free(cfg->tls);
	cfg->tls = NULL;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		if (r->tls != NULL) {
			SSL_CTX_free(r->tls->ctx);
			free(r->tls);
			r->tls = NULL;
		}
	}
}

/* The running certificate of section (by name), or NULL. */
static const struct tls_cert *
tls_find_cert(const struct config *cfg, const char *section)
{
	const struct tls_server *ts = cfg != NULL ? cfg->tls : NULL;

	if (ts == NULL)
		return NULL;
	if (strcmp(section, "gateway") == 0)
		return ts->dflt.ctx != NULL ? &ts->dflt : NULL;
	for (size_t i = 0; i < ts->nsni; i++)
		if (strcmp(cfg->tls_sni[i].section, section) == 0)
			return ts->sni[i].ctx != NULL ? &ts->sni[i] : NULL;
	return NULL;
}

/* Whether ctx sends a certificate named name that is not self-signed
 * (without a self-signed root, a chain still reaches the clients' one). */
static bool
tls_ctx_sends(SSL_CTX *ctx, const X509_NAME *name)
{
	STACK_OF(X509) *extra = NULL;

	SSL_CTX_get0_chain_certs(ctx, &extra);
	for (int i = -1; i < (extra != NULL ? sk_X509_num(extra) : 0); i++) {
		X509 *x = i < 0 ? SSL_CTX_get0_certificate(ctx) :
		    sk_X509_value(extra, i);

		if (x != NULL && X509_NAME_cmp(X509_get_subject_name(x),
		    name) == 0 && X509_self_signed(x, 0) != 1)
			return true;
	}
	return false;
}

/*
 * A reload against the running certificate of the same section.  A file
 * copied in place is read whole PEM blocks at a time, so one caught
 * halfway loads as a shorter chain that stops at a certificate it no
 * longer holds.  Refused: a chain that stops at an unseen issuer while
 * the running one reached the system store, or while the running one
 * sends that issuer's certificate.  (A private CA's renewals stop where
 * they always did, and pass.)  A chain that changes length is worth a
 * warning.
 */
static void
tls_reload_check(const struct tls_cert_spec *t, const struct tls_cert *c,
    const struct tls_cert *old, struct config_errors *errs)
{
	char cn[160];

	if (old == NULL || c->ctx == NULL)
		return;
	if (c->chain.anchor == TLS_ANCHOR_NONE &&
	    (old->chain.anchor == TLS_ANCHOR_SYSTEM ||
	    tls_ctx_sends(old->ctx, c->chain.end))) {
		tls_name_cn(c->chain.end, cn, sizeof(cn));
		config_error_at(errs, &t->cert.where, t->section, "tls_cert",
		    "%s: the chain (%d certificate%s) stops at issuer CN=%s, "
		    "which is neither in the file nor in the system CA store, "
		    "while the running chain %s: a file still being written? "
		    "Write it whole (to a temporary name, then rename), then "
		    "reload", t->cert.s, c->chain.ncerts,
		    c->chain.ncerts == 1 ? "" : "s", cn,
		    old->chain.anchor == TLS_ANCHOR_SYSTEM ? "reaches a CA "
		    "of the system store" : "includes that certificate");
		return;
	}
	if (c->chain.ncerts != old->chain.ncerts)
		log_warn("tls [%s]: %s now holds a chain of %d certificate%s "
		    "(%d before)", t->section, t->cert.s, c->chain.ncerts,
		    c->chain.ncerts == 1 ? "" : "s", old->chain.ncerts);
}

int
tls_config_load(struct config *cfg, const struct config *running,
    struct config_errors *errs)
{
	size_t before = errs->n;
	X509_STORE *store = NULL;

	cfg->tls_free = tls_config_free;
	if (config_has_tls_listener(cfg) || cfg->tls_default.cert.s != NULL ||
	    cfg->ntls_sni > 0) {
		struct tls_server *ts = calloc(1, sizeof(*ts));

		if (ts == NULL)
			return -1;
		cfg->tls = ts;
		ts->cfg = cfg;
		tls_server_ctx_new(cfg, &cfg->tls_default, true, &store,
		    &ts->dflt, errs);
		ts->sni = calloc(cfg->ntls_sni + 1, sizeof(*ts->sni));
		if (ts->sni == NULL) {
			X509_STORE_free(store);
			return -1;
		}
		for (size_t i = 0; i < cfg->ntls_sni; i++) {
			tls_server_ctx_new(cfg, &cfg->tls_sni[i], false, &store,
			    &ts->sni[i], errs);
			ts->nsni++;
		}
		if (ts->dflt.ctx != NULL && cfg->ntls_sni > 0) {
			SSL_CTX_set_client_hello_cb(ts->dflt.ctx,
			    tls_client_hello_cb, ts);
			SSL_CTX_set_tlsext_servername_callback(ts->dflt.ctx,
			    tls_servername_cb);
			SSL_CTX_set_tlsext_servername_arg(ts->dflt.ctx, ts);
		}
		if (cfg->tls_session_tickets && ts->dflt.ctx != NULL)
			tls_tickets_load(cfg, ts, errs);
		X509_STORE_free(store);
		tls_reload_check(&cfg->tls_default, &ts->dflt,
		    tls_find_cert(running, "gateway"), errs);
		for (size_t i = 0; i < ts->nsni; i++)
			tls_reload_check(&cfg->tls_sni[i], &ts->sni[i],
			    tls_find_cert(running, cfg->tls_sni[i].section),
			    errs);
	}
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		if (r->backend_tls)
			r->tls = tls_client_new(cfg, r, errs);
	}
	return errs->n == before ? 0 : -1;
}

/* One line per listener certificate: what it is and when it expires;
 * a warning for one expired, not yet valid, or expiring within 14 days.
 * A chain that stops at an issuer wsgate cannot see is worth a line. */
static void
tls_log_cert(const char *section, const struct tls_cert *c, size_t nnames)
{
	X509 *x = c->ctx != NULL ? SSL_CTX_get0_certificate(c->ctx) : NULL;
	const ASN1_TIME *after, *before;
	char cn[256], until[32] = "?", names[48] = "";
	int days = 0, secs = 0, ahead = 0, ahead_secs = 0;
	struct tm tm;

	if (x == NULL)
		return;
	if (nnames > 0)
		snprintf(names, sizeof(names), " (%zu server name%s)", nnames,
		    nnames == 1 ? "" : "s");
	tls_name_cn(X509_get_subject_name(x), cn, sizeof(cn));
	after = X509_get0_notAfter(x);
	before = X509_get0_notBefore(x);
	if (ASN1_TIME_to_tm(after, &tm) == 1)
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm);
	/* Each difference keeps its own seconds: hours before notAfter
	 * must not read as expired, nor hours before notBefore as valid. */
	ASN1_TIME_diff(&days, &secs, NULL, after);
	ASN1_TIME_diff(&ahead, &ahead_secs, NULL, before);
	if (days < 0 || (days == 0 && secs < 0))
		log_warn("tls [%s]: certificate CN=%s EXPIRED on %s", section,
		    cn, until);
	else if (ahead > 0 || (ahead == 0 && ahead_secs > 0))
		log_warn("tls [%s]: certificate CN=%s is not valid yet",
		    section, cn);
	else
		log_msg(days < 14 ? LL_WARN : LL_INFO, "tls [%s]: certificate "
		    "CN=%s%s valid until %s (%d day%s left)", section, cn,
		    names, until, days, days == 1 ? "" : "s");
	if (c->chain.anchor == TLS_ANCHOR_NONE) {
		tls_name_cn(c->chain.end, cn, sizeof(cn));
		log_info("tls [%s]: the chain (%d certificate%s) ends at "
		    "issuer CN=%s, which is not in the system CA store: "
		    "clients must trust it", section, c->chain.ncerts,
		    c->chain.ncerts == 1 ? "" : "s", cn);
	}
	ERR_clear_error();
}

void
tls_log_certificates(const struct config *cfg)
{
	if (cfg->tls == NULL)
		return;
	tls_log_cert("gateway", &cfg->tls->dflt, 0);
	for (size_t i = 0; i < cfg->tls->nsni; i++)
		tls_log_cert(cfg->tls_sni[i].section, &cfg->tls->sni[i],
		    cfg->tls_sni[i].nserver_names);
}

struct bufferevent *
tls_accept(struct event_base *base, const struct config *cfg, int fd,
    bool h2)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (cfg->tls == NULL || cfg->tls->dflt.ctx == NULL) {
		close(fd);
		return NULL;
	}
	ssl = SSL_new(cfg->tls->dflt.ctx);
	if (ssl == NULL) {
		ERR_clear_error();
		close(fd);
		return NULL;
	}
	pthread_once(&tls_h2_once, tls_h2_index_init);
	if (h2 && tls_h2_idx >= 0)
		SSL_set_ex_data(ssl, tls_h2_idx, (void *)&tls_h2_idx);
	/*
	 * Deferred callbacks: libevent 2.1 may write to the socket from
	 * inside bufferevent_write() on a TLS bufferevent, and an error
	 * there must not run our event callback (which may free the
	 * session) under our feet.  On failure libevent frees ssl and
	 * closes fd itself (CLOSE_ON_FREE), except when it is out of
	 * memory for the bufferevent itself.
	 */
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static bool
tls_is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

struct bufferevent *
tls_backend_new(struct event_base *base, const struct target *t, int fd)
{
	const char *name = t->tls_name != NULL ? t->tls_name : t->host;
	bool ip = tls_is_ip(name);
	struct bufferevent *bev;
	SSL *ssl;

	if (t->tls_client == NULL) {
		close(fd);
		return NULL;
	}
	ssl = SSL_new(t->tls_client->ctx);
	if (ssl == NULL) {
		ERR_clear_error();
		close(fd);
		return NULL;
	}
	/* RFC 6066 3: no IP literals in server_name. */
	if ((!ip && SSL_set_tlsext_host_name(ssl, name) != 1) ||
	    (t->tls_verify && (ip ?
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1 :
	    SSL_set1_host(ssl, name) != 1))) {
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* tls_io_begin's read buffer: four records. */
#define TLS_READ_AHEAD (64u << 10)

struct ssl_st *
tls_io_begin(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL)
		return NULL;
	/*
	 * A write that blocked is made again from wherever the queue's head
	 * is then (libevent sets this too).  Without AUTO_RETRY, an SSL_read
	 * that processed a record that is not application data returns
	 * instead of going on to the next: a peer sending KeyUpdates (RFC
	 * 8446 4.6.3, each a key derivation, and maybe an answer to write)
	 * gets one processed per read, within the relay's work budget, not
	 * the 32 in a row OpenSSL allows (SSL_R_TOO_MANY_KEY_UPDATES).
	 */
	SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_clear_mode(ssl, SSL_MODE_AUTO_RETRY);
	/*
	 * Read-ahead: one read(2) takes up to TLS_READ_AHEAD bytes, several
	 * records, where OpenSSL would otherwise read each record's header
	 * and its body apart (2 reads a record).  The buffer is still given
	 * back whenever it is empty (SSL_MODE_RELEASE_BUFFERS), which side.c
	 * sees to by not reading on once it is.
	 */
	SSL_set_default_read_buffer_len(ssl, TLS_READ_AHEAD);
	SSL_set_read_ahead(ssl, 1);
	return ssl;
}

void
tls_io_end(struct ssl_st *ssl)
{
	/* libevent's reads wait for the socket after SSL_ERROR_WANT_READ:
	 * with AUTO_RETRY off, buffered records could wait for ever. */
	SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
	/* (What it has buffered is still read first.) */
	SSL_set_read_ahead(ssl, 0);
	SSL_set_default_read_buffer_len(ssl, 0);
}

/* What SSL_get_error says of a failed read or write. */
static enum tls_io
tls_io_error(SSL *ssl)
{
	switch (SSL_get_error(ssl, 0)) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		/* EOF or a reset with no TLS error: bufferevent_openssl's
		 * dirty shutdown, which tls_accept allows. */
		if (ERR_peek_error() == 0)
			return TLS_IO_EOF;
		break;
	default:
		break;
	}
	ERR_clear_error();
	return TLS_IO_ERROR;
}

enum tls_io
tls_io_read(struct ssl_st *ssl, void *buf, size_t cap, size_t *got)
{
	*got = 0;
	/* SSL_get_error needs an empty error queue before the call. */
	ERR_clear_error();
	if (SSL_read_ex(ssl, buf, cap, got) == 1)
		return TLS_IO_DONE;
	*got = 0;
	return tls_io_error(ssl);
}

enum tls_io
tls_io_write(struct ssl_st *ssl, const void *buf, size_t len)
{
	size_t n;

	ERR_clear_error();
	if (SSL_write_ex(ssl, buf, len, &n) == 1)
		return TLS_IO_DONE;
	return tls_io_error(ssl);
}

bool
tls_io_pending(struct ssl_st *ssl)
{
	return SSL_has_pending(ssl) == 1;
}

int
tls_close_notify(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	int rc;

	if (ssl == NULL || !SSL_is_init_finished(ssl))
		return -1;
	ERR_clear_error();
	/* The first call only sends our alert; the peer's answer (if any)
	 * arrives as EOF on the bufferevent. */
	rc = SSL_shutdown(ssl);
	ERR_clear_error();
	return rc >= 0 ? 0 : -1;
}

static const char *tls_error_first(struct bufferevent *bev, short what,
    char *buf, size_t size, unsigned long *firstp);

const char *
tls_error(struct bufferevent *bev, short what, char *buf, size_t size)
{
	unsigned long first;

	return tls_error_first(bev, what, buf, size, &first);
}

/* tls_error, and the reason class for the metrics (metrics.h). */
const char *
tls_error_class(struct bufferevent *bev, short what, char *buf, size_t size,
    int *cls)
{
	unsigned long first;
	const char *text = tls_error_first(bev, what, buf, size, &first);

	*cls = METRICS_TLS_OTHER;
	if (first == 0) {
		if (what & BEV_EVENT_EOF)
			*cls = METRICS_TLS_EOF;
		return text;
	}
	if (ERR_GET_LIB(first) != ERR_LIB_SSL)
		return text;
	switch (ERR_GET_REASON(first)) {
	case SSL_R_NO_SHARED_CIPHER:
		*cls = METRICS_TLS_NO_SHARED_CIPHER;
		break;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_VERSION_TOO_LOW:
		*cls = METRICS_TLS_PROTOCOL_VERSION;
		break;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		*cls = METRICS_TLS_NO_CLIENT_CERT;
		break;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		*cls = METRICS_TLS_BAD_CLIENT_CERT;
		break;
	case SSL_R_HTTP_REQUEST:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		*cls = METRICS_TLS_NOT_TLS;
		break;
	}
	return text;
}

void
tls_facts(struct bufferevent *bev, char *version, size_t vsize, char *sni,
    size_t snisize)
{
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *name;

	version[0] = sni[0] = '\0';
	if (ssl == NULL)
		return;
	snprintf(version, vsize, "%s", SSL_get_version(ssl));
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name != NULL)
		snprintf(sni, snisize, "%s", name);
}

static const char *
tls_error_first(struct bufferevent *bev, short what, char *buf, size_t size,
    unsigned long *firstp)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e, first = 0;
	const char *reason;

	/*
	 * libevent keeps the first few errors and pops the latest first, so
	 * the last one popped is the earliest, the most specific.  libevent
	 * 2.1.12 also records SSL_get_error()'s small code (no library
	 * part) there: skip it.
	 */
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (ERR_GET_LIB(e) != 0)
			first = e;
	*firstp = first;
	if (first == 0) {
		snprintf(buf, size, "%s", (what & BEV_EVENT_EOF) ?
		    "connection closed" : "connection closed or reset");
		return buf;
	}
	reason = ERR_reason_error_string(first);
	if (reason == NULL) {
		snprintf(buf, size, "OpenSSL error %lx", first);
		return buf;
	}
	if (ssl != NULL && ERR_GET_LIB(first) == ERR_LIB_SSL &&
	    ERR_GET_REASON(first) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
	    SSL_get_verify_result(ssl) != X509_V_OK)
		snprintf(buf, size, "%s (%s)", reason,
		    X509_verify_cert_error_string(
		    SSL_get_verify_result(ssl)));
	else
		snprintf(buf, size, "%s", reason);
	return buf;
}

const char *
tls_describe(struct bufferevent *bev, char *buf, size_t size)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	const unsigned char *alpn = NULL;
	unsigned int alpnlen = 0;
	char sni[4 * 64], proto[64];

	if (ssl == NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	/* The client chose the server name: up to 255 bytes of anything
	 * but NUL (OpenSSL refuses those). */
	log_escape_str(sni, sizeof(sni),
	    SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
	if (alpnlen > 0)
		log_escape(proto, sizeof(proto), (const char *)alpn, alpnlen);
	else
		snprintf(proto, sizeof(proto), "-");
	snprintf(buf, size, "%s %s sni=%s alpn=%s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), sni, proto,
	    SSL_session_reused(ssl) ? " resumed" : "");
	return buf;
}

/* The name's CN as UTF-8 text, or "" (embedded NULs refused): for
 * comparing with configured names, never for logs as it is. */
static void
tls_cn_raw(const X509_NAME *name, char *out, size_t size)
{
	int i = name != NULL ?
	    X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	unsigned char *utf8 = NULL;
	int n;

	out[0] = '\0';
	if (i < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n > 0 && memchr(utf8, '\0', (size_t)n) == NULL)
		snprintf(out, size, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
}

/* The name's CN escaped for a log line (log_escape), or "(no CN)". */
static void
tls_name_cn(const X509_NAME *name, char *out, size_t size)
{
	char raw[256];

	tls_cn_raw(name, raw, sizeof(raw));
	if (raw[0] == '\0')
		snprintf(out, size, "(no CN)");
	else
		log_escape_str(out, size, raw);
}

int
tls_peer_name_allowed(struct bufferevent *bev, char *const *names,
    size_t n, char *who, size_t whosize)
{
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	GENERAL_NAMES *sans;
	X509 *cert;
	char cn[256];
	int found = 0;

	who[0] = '\0';
	if (ssl == NULL || (cert = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	tls_cn_raw(X509_get_subject_name(cert), cn, sizeof(cn));
	for (size_t i = 0; i < n && !found; i++) {
		if (cn[0] != '\0' && strcmp(names[i], cn) == 0) {
			snprintf(who, whosize, "%s", cn);
			found = 1;
		}
	}
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int j = 0; !found && j < sk_GENERAL_NAME_num(sans); j++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, j);
		const char *d;
		size_t dlen;

		if (g->type != GEN_DNS)
			continue;
		d = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		dlen = (size_t)ASN1_STRING_length(g->d.dNSName);
		for (size_t i = 0; i < n && !found; i++) {
			if (strlen(names[i]) == dlen &&
			    strncasecmp(names[i], d, dlen) == 0) {
				snprintf(who, whosize, "%s", names[i]);
				found = 1;
			}
		}
	}
	GENERAL_NAMES_free(sans);
	if (!found)
		snprintf(who, whosize, "%s", cn[0] != '\0' ? cn : "(no CN)");
	return found;
}

bool
tls_alpn_h2(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	const unsigned char *alpn = NULL;
	unsigned int len = 0;

	if (ssl == NULL)
		return false;
	SSL_get0_alpn_selected(ssl, &alpn, &len);
	return len == 2 && memcmp(alpn, "h2", 2) == 0;
}

const char *
tls_server_name(struct bufferevent *bev)
{
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl != NULL ? SSL_get_servername(ssl,
	    TLSEXT_NAMETYPE_host_name) : NULL;
}
