/* The wire formats of notices (src/notify/message.c): the email and the gateway request. */
#include "notify/message.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the RFC 2047 B-words of a folded Subject value (only what sk_mail_subject makes). */
static char *decode_words(const char *v)
{
	char *out = calloc(1, strlen(v) + 1);
	size_t n = 0;
	for (const char *p = strstr(v, "=?UTF-8?B?"); p; p = strstr(p, "=?UTF-8?B?")) {
		p += 10;
		const char *end = strstr(p, "?=");
		cr_assert_not_null(end);
		cr_assert_leq(end - p + 12, 75, "an encoded word longer than 75 characters");
		size_t len;
		cr_assert_eq(sodium_base642bin((unsigned char *)out + n, strlen(v) - n, p, (size_t)(end - p), NULL, &len, NULL,
					       sodium_base64_VARIANT_ORIGINAL),
			     0);
		n += len;
		p = end + 2;
	}
	out[n] = '\0';
	return out;
}

Test(message, subject_plain_ascii_is_kept)
{
	char *s = sk_mail_subject("Proposal HC-2026-0042 received");
	cr_expect_str_eq(s, "Proposal HC-2026-0042 received");
	free(s);
}

Test(message, long_vietnamese_subject_in_whole_characters)
{
	const char *subject = "Kết quả cuộc thi “Sáng kiến chuyển đổi số phường Hải Châu 2026” đã được công bố: đề xuất của bạn";
	char *s = sk_mail_subject(subject);
	cr_expect(strncmp(s, "=?UTF-8?B?", 10) == 0);
	cr_expect(strstr(s, "\r\n =?UTF-8?B?") != NULL, "a long subject is folded: %s", s);
	for (const char *p = s; *p; p++)
		cr_expect((unsigned char)*p < 0x80);
	char *back = decode_words(s);
	cr_expect_str_eq(back, subject);
	/* each word decodes to whole UTF-8 characters: none starts with a continuation byte */
	free(back);
	free(s);
}

Test(message, email_headers_and_base64_body)
{
	char *m = sk_mail_compose("thongbao@phuong.example.vn", "a@example.vn", "Đã nhận đề xuất", "Nội dung\n",
				  "sk-n5-email", 1796662800);
	cr_assert_not_null(m);
	cr_expect(strstr(m, "From: <thongbao@phuong.example.vn>\r\nTo: <a@example.vn>\r\nSubject: =?UTF-8?B?") == m);
	cr_expect(strstr(m, "\r\nDate: Tue, 08 Dec 2026 00:00:00 +0700\r\n") != NULL, "%s", m);
	cr_expect(strstr(m, "\r\nMessage-ID: <sk-n5-email@phuong.example.vn>\r\n") != NULL);
	cr_expect(strstr(m, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n") != NULL);
	cr_expect(strstr(m, "\r\n\r\nTuG7mWkgZHVuZwo=\r\n") != NULL, "%s", m);
	free(m);
	cr_expect_null(sk_mail_compose("x@y.vn", "a@b.vn\r\nBcc: c@d.vn", "s", "b", "k", 0), "a header injected");
	cr_expect_null(sk_mail_compose("x@y.vn", "<a@b.vn>", "s", "b", "k", 0));
	cr_expect_null(sk_mail_compose("x@y.vn", "a@b.vn", "s", "b", "k>x", 0));
}

Test(message, gateway_signature_is_hmac_sha256_of_timestamp_dot_body)
{
	const unsigned char key[] = "secret-0123456789";
	char sig[72];
	sk_gateway_sign(key, sizeof key - 1, 1796662800, "{\"a\":1}", 7, sig);
	unsigned char mac[32];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, sizeof key - 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"1796662800.{\"a\":1}", 18);
	crypto_auth_hmacsha256_final(&st, mac);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	cr_expect(strncmp(sig, "sha256=", 7) == 0);
	cr_expect_str_eq(sig + 7, hex);
}

Test(message, gateway_bodies)
{
	json_t *facts = json_pack("{s:s}", "tracking_code", "HC-1");
	char *sms = sk_gateway_body("sms", "sk-n1-sms", "+84901234567", "proposal_received", "vi", "", "Da nhan", NULL, facts, 0);
	cr_expect_str_eq(sms, "{\"idempotency_key\":\"sk-n1-sms\",\"channel\":\"sms\",\"to\":\"+84901234567\","
			      "\"event\":\"proposal_received\",\"lang\":\"vi\",\"text\":\"Da nhan\","
			      "\"created_at\":\"1970-01-01T00:00:00Z\"}");
	char *z = sk_gateway_body("zalo", "sk-n1-zalo", "+84901234567", "proposal_received", "vi", "Tiêu đề", "Nội dung",
				  NULL, facts, 0);
	json_t *j = json_loads(z, 0, NULL);
	cr_expect_str_eq(json_string_value(json_object_get(j, "title")), "Tiêu đề");
	cr_expect(json_is_null(json_object_get(j, "link")));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "template_data"), "tracking_code")), "HC-1");
	json_decref(j);
	json_decref(facts);
	free(sms);
	free(z);
}
