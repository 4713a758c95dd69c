#include "domain/login.h"
#include "domain/timefmt.h"

#include <criterion/criterion.h>
#include <string.h>

static void expect(const char *in, enum sk_login_kind kind, const char *out)
{
	char buf[SK_LOGIN_MAX + 1];
	enum sk_login_kind k = sk_login_normalize(in, buf, sizeof buf);
	cr_assert_eq(k, kind, "%s: kind %d, expected %d", in, k, kind);
	cr_assert_str_eq(buf, out, "%s: got '%s'", in, buf);
}

Test(login, phone_numbers_in_every_common_form)
{
	expect("0901234567", SK_LOGIN_PHONE, "+84901234567");
	expect("090 123 4567", SK_LOGIN_PHONE, "+84901234567");
	expect("090.123.4567", SK_LOGIN_PHONE, "+84901234567");
	expect("+84 90 123 4567", SK_LOGIN_PHONE, "+84901234567");
	expect("84901234567", SK_LOGIN_PHONE, "+84901234567");
	expect("0321234567", SK_LOGIN_PHONE, "+84321234567");
}

Test(login, invalid_phones)
{
	expect("090123456", SK_LOGIN_INVALID, "");    /* 9 digits */
	expect("09012345678", SK_LOGIN_INVALID, "");  /* 11 digits */
	expect("0201234567", SK_LOGIN_INVALID, "");   /* landline prefix */
	expect("+0901234567", SK_LOGIN_INVALID, "");
	expect("0901x34567", SK_LOGIN_INVALID, "");
	expect("", SK_LOGIN_INVALID, "");
}

Test(login, emails_are_lower_cased_and_checked)
{
	expect("  An.Nguyen@Example.VN ", SK_LOGIN_EMAIL, "an.nguyen@example.vn");
	expect("a@b.vn", SK_LOGIN_EMAIL, "a@b.vn");
	expect("a@@b.vn", SK_LOGIN_INVALID, "");
	expect("@b.vn", SK_LOGIN_INVALID, "");
	expect("a@bvn", SK_LOGIN_INVALID, "");
	expect("a b@c.vn", SK_LOGIN_INVALID, "");
	expect("a@b.vn.", SK_LOGIN_INVALID, "");
}

Test(login, masking_hides_the_middle)
{
	char out[64];
	sk_login_mask("+84901234567", out, sizeof out);
	cr_assert_str_eq(out, "+8490****567");
	sk_login_mask("an@example.vn", out, sizeof out);
	cr_assert_str_eq(out, "a***@example.vn");
}

Test(login, password_policy_counts_characters_not_bytes)
{
	cr_assert(!sk_password_acceptable("short"));
	cr_assert(!sk_password_acceptable("123456789"));
	cr_assert(sk_password_acceptable("1234567890"));
	cr_assert(sk_password_acceptable("mậtkhẩuđủdài")); /* 12 characters, more bytes */
	cr_assert(!sk_password_acceptable("đđđđđđđđđ"));     /* 9 characters, 18 bytes */
}

Test(login, leader_mask_shows_only_the_last_three_digits)
{
	char out[64];
	sk_login_mask_last3("+84901234567", out, sizeof out);
	cr_assert_str_eq(out, "*******567");
	sk_login_mask_last3("an@example.vn", out, sizeof out);
	cr_assert_str_eq(out, "a***@example.vn");
}

Test(login, search_digits_of_a_phone_query)
{
	char out[32];
	cr_assert(sk_login_search_digits("0901 234", out, sizeof out));
	cr_assert_str_eq(out, "901234");
	cr_assert(sk_login_search_digits("+84 90", out, sizeof out));
	cr_assert_str_eq(out, "8490");
	cr_assert(sk_login_search_digits("567", out, sizeof out));
	cr_assert_str_eq(out, "567");
	cr_assert(!sk_login_search_digits("56", out, sizeof out));
	cr_assert(!sk_login_search_digits("Lan 567", out, sizeof out));
	cr_assert_str_eq(out, "");
	cr_assert(!sk_login_search_digits("9+01234", out, sizeof out));
}

Test(dates, a_calendar_date_is_exactly_yyyy_mm_dd_and_real)
{
	int64_t d;
	cr_assert(sk_date_parse("1970-01-02", &d));
	cr_assert_eq(d, 1);
	cr_assert(sk_date_parse("2028-02-29", &d));
	cr_assert(!sk_date_parse("2026-02-29", &d));
	cr_assert(!sk_date_parse("2026-2-01", &d));
	cr_assert(!sk_date_parse("2026-12-01T00:00", &d));
	cr_assert(!sk_date_parse("2026-13-01", &d));
	cr_assert(!sk_date_parse("", &d));
}
