#include "passwords.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	char pw[32];
	randombytes_buf(pw, sizeof pw - 1);
	for (size_t i = 0; i < sizeof pw - 1; i++)
		pw[i] = (char)('a' + (unsigned char)pw[i] % 26);
	pw[sizeof pw - 1] = '\0';
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

bool sk_password_hash(const char *password, char out[SK_PWHASH_LEN])
{
	_Static_assert(SK_PWHASH_LEN == crypto_pwhash_STRBYTES, "hash buffer size");
	return crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				     crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool sk_password_verify(const char *password, const char *hash)
{
	if (hash == NULL) {
		pthread_once(&dummy_once, make_dummy);
		if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			return false; /* a random password matched: still not an account */
		return false;
	}
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
