/* Password hashing with argon2id (libsodium). */
#ifndef SK_PASSWORDS_H
#define SK_PASSWORDS_H

#include <stdbool.h>

#define SK_PWHASH_LEN 128 /* crypto_pwhash_STRBYTES */

/* Hashes password into out (NUL-terminated). False only when memory runs out. */
bool sk_password_hash(const char *password, char out[SK_PWHASH_LEN]);

/*
 * True when password matches hash. With hash NULL (no such account) it still
 * spends the time of one verification, so that timing does not tell whether a
 * login exists, and returns false.
 */
bool sk_password_verify(const char *password, const char *hash);

#endif
