/* redact.h -- pure: secrets kept out of log lines (token query parameters, credential headers, bearer subprotocols) */
#ifndef WSGATE_REDACT_H
#define WSGATE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACTED "REDACTED"

/*
 * API, for the call sites that log request targets and headers (before
 * log_escape(), which still applies: these take and give raw bytes).
 *
 * redact_name() says whether a query parameter or header name carries a
 * secret.  It compares the name %-decoded (a query name may be written
 * "%74oken") and case-insensitively, '-' and '_' alike:
 *   - names that contain token, secret, pass, auth, key, signature,
 *     credential, sess, cookie, jwt, ticket or bearer ("access_token",
 *     "X-Api-Key", "X-Amz-Signature", "Authorization",
 *     "Proxy-Authorization", "Cookie", "Set-Cookie", "PHPSESSID",
 *     "passphrase");
 *   - the short names sig, sid, pwd, code (OAuth) and otp;
 *   - the names in extra[0..nextra) (a route's own token parameter).
 * It errs on the side of hiding: a log loses a harmless value at worst
 * ("monkey=1", "bypass=1"), never shows a credential because of its spelling.
 * Names longer than REDACT_NAME_MAX are secrets.
 *
 * redact_target() copies a request target into dst (size bytes, always
 * NUL-terminated, cut with "..." if short, like log_escape) with the
 * value of each secret query parameter replaced by REDACTED: the path
 * and the other parameters stay.  Parameters are split on '&' and ';';
 * a name without '=' is kept as it is; a '#' fragment is dropped.
 *
 * redact_subprotocols() copies a Sec-WebSocket-Protocol value with each
 * comma-separated element that carries a credential replaced by REDACTED
 * (Kubernetes sends "base64url.bearer.authorization.k8s.io.<token>"):
 * elements matching the rule of redact_name().
 */
#define REDACT_NAME_MAX 128

bool redact_name(const char *name, size_t len, const char *const *extra,
    size_t nextra);
const char *redact_target(char *dst, size_t size, const char *target,
    size_t len, const char *const *extra, size_t nextra);
const char *redact_subprotocols(char *dst, size_t size, const char *value,
    size_t len);

#endif
