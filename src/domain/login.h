/* Logins are a Vietnamese mobile number or an email address; passwords follow one policy. */
#ifndef SK_DOMAIN_LOGIN_H
#define SK_DOMAIN_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

enum sk_login_kind { SK_LOGIN_INVALID = 0, SK_LOGIN_PHONE, SK_LOGIN_EMAIL };

#define SK_LOGIN_MAX 254
#define SK_PASSWORD_MIN 10
#define SK_PASSWORD_MAX 256

/*
 * Normalises a login as typed: a mobile number "090 123 4567", "0901234567",
 * "+84901234567" or "84901234567" becomes "+84901234567"; an email is trimmed
 * and lower-cased. Writes into out (size outsz) and returns its kind, or
 * SK_LOGIN_INVALID when the text is neither.
 */
enum sk_login_kind sk_login_normalize(const char *in, char *out, size_t outsz);

/* "phone" or "email". */
const char *sk_login_kind_str(enum sk_login_kind kind);

/* Masks a normalised phone for display and logs: "+84901234567" -> "+8490****567". */
void sk_login_mask(const char *login, char *out, size_t outsz);

/*
 * Masks a login for a ward leader's list of residents: a phone shows only its last 3 digits
 * ("+84901234567" -> "*******567"), an email its first letter and domain ("a***@example.vn").
 */
void sk_login_mask_last3(const char *login, char *out, size_t outsz);

/*
 * The digits a search box's text means as part of a phone number, to match inside a normalised
 * login: "0901 234" -> "901234", "+8490" -> "8490", "567" -> "567". False (out empty) when the text
 * holds anything but digits, spaces, dots, hyphens and one leading plus, or fewer than 3 digits.
 */
bool sk_login_search_digits(const char *query, char *out, size_t outsz);

/* True when the password meets the policy: SK_PASSWORD_MIN..MAX code points. */
bool sk_password_acceptable(const char *password);

#endif
