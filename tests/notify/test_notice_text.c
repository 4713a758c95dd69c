/* The words of notices: every event in both languages and every channel, the SMS variant. */
#include "notify/notice_text.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static json_t *long_facts(void)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:s}", "title",
			 "Ứng dụng bản đồ số cho các hộ kinh doanh nhỏ lẻ dọc tuyến đường Nguyễn Văn Linh và chợ Hàn "
			 "để người dân tra cứu, đặt hàng và thanh toán không dùng tiền mặt",
			 "campaign_title", "Phong trào đề xuất mô hình chuyển đổi số phường Hải Châu năm 2026, đợt một",
			 "tracking_code", "HC-2026-0042", "campaign_id", (json_int_t)7, "proposal_id", (json_int_t)42,
			 "closes_at", "2026-12-01T10:00:00Z", "expires_at", "2026-12-08T01:30:00Z", "at",
			 "2026-12-07T23:05:00Z", "deadline", "2026-12-10T10:00:00Z", "rank", (json_int_t)2, "version",
			 (json_int_t)2, "hours", (json_int_t)48, "missing", (json_int_t)3, "reset", 0, "award", "Giải Nhì");
}

Test(notice_text, every_event_in_both_languages_and_channels)
{
	static const char *langs[] = { "vi", "en" }, *channels[] = { "app", "sms", "zalo", "email" };
	json_t *facts = long_facts();
	json_object_set_new(facts, "submitted", json_integer(5));
	cr_assert_geq(sk_notice_event_count(), 14);
	for (size_t i = 0; i < sk_notice_event_count(); i++) {
		const char *ev = sk_notice_event_name(i);
		char *vi_body = NULL;
		for (size_t l = 0; l < 2; l++)
			for (size_t c = 0; c < 4; c++) {
				char *title, *body;
				cr_assert_eq(sk_notice_text(ev, langs[l], channels[c], facts, &title, &body), 0, "%s", ev);
				cr_expect(strlen(body) > 10, "%s %s %s", ev, langs[l], channels[c]);
				cr_expect_null(strchr(body, '{'), "%s %s %s: %s", ev, langs[l], channels[c], body);
				cr_expect_null(strstr(body, "…”"), "%s: a fact is missing: %s", ev, body);
				if (strcmp(channels[c], "sms") == 0) {
					cr_expect_str_empty(title);
					for (const char *p = body; *p; p++)
						cr_expect((unsigned char)*p < 0x80, "%s %s not ASCII: %s", ev, langs[l], body);
					cr_expect_leq(strlen(body), SK_SMS_SEGMENT, "%s %s: %zu: %s", ev, langs[l],
						      strlen(body), body);
				} else {
					cr_expect(strlen(title) > 3);
				}
				if (l == 0 && c == 0)
					vi_body = strdup(body);
				else if (l == 1 && c == 0)
					cr_expect_str_neq(body, vi_body, "%s: the English text is the Vietnamese one", ev);
				free(title);
				free(body);
			}
		free(vi_body);
	}
	json_decref(facts);
}

Test(notice_text, vietnamese_is_the_default_and_facts_are_filled)
{
	json_t *facts = long_facts();
	char *title, *body;
	cr_assert_eq(sk_notice_text("proposal_received", NULL, "app", facts, &title, &body), 0);
	cr_expect_str_eq(title, "Đã nhận đề xuất HC-2026-0042");
	cr_expect_not_null(strstr(body, "Mã theo dõi: HC-2026-0042."));
	free(title);
	free(body);
	cr_assert_eq(sk_notice_text("deadline_extended", "fr", "email", facts, &title, &body), 0);
	cr_expect_not_null(strstr(body, "đến 17:00 01/12/2026."), "%s", body); /* 10:00 UTC is 17:00 in Vietnam */
	free(title);
	free(body);
	cr_assert_eq(sk_notice_text("results_published", "en", "app", facts, &title, &body), 0);
	cr_expect_not_null(strstr(body, "Proposal HC-2026-0042: won Giải Nhì (rank 2)."), "%s", body);
	free(title);
	free(body);
	json_object_del(facts, "award");
	cr_assert_eq(sk_notice_text("results_published", "vi", "sms", facts, &title, &body), 0);
	cr_expect_not_null(strstr(body, "De xuat HC-2026-0042: xep hang 2, khong co giai."), "%s", body);
	free(title);
	free(body);
	json_decref(facts);
}

Test(notice_text, sms_fits_one_segment_with_short_titles_whole)
{
	json_t *facts = json_pack("{s:s,s:s,s:s}", "title", "Chợ số", "campaign_title", "Chuyển đổi số 2026",
				  "tracking_code", "HC-2026-0001");
	char *title, *body;
	cr_assert_eq(sk_notice_text("proposal_received", "vi", "sms", facts, &title, &body), 0);
	cr_expect_str_eq(body, "Phuong da nhan de xuat \"Cho so\". Ma theo doi: HC-2026-0001.");
	free(title);
	free(body);
	json_decref(facts);
}

Test(notice_text, unknown_event)
{
	char *title = (char *)1, *body = (char *)1;
	cr_expect_eq(sk_notice_text("nothing_happened", "vi", "app", NULL, &title, &body), -1);
	cr_expect_null(title);
	cr_expect_null(body);
	cr_expect_eq(sk_notice_text(NULL, "vi", "app", NULL, &title, &body), -1);
}

Test(notice_text, links)
{
	json_t *facts = json_pack("{s:s,s:I}", "tracking_code", "HC-2026-0001", "campaign_id", (json_int_t)3);
	char *l = sk_notice_link("proposal_received", facts);
	cr_expect_str_eq(l, "/track.html?code=HC-2026-0001");
	free(l);
	l = sk_notice_link("results_published", facts);
	cr_expect_str_eq(l, "/results.html?id=3");
	free(l);
	json_object_set_new(facts, "tracking_code", json_string("<x>"));
	l = sk_notice_link("proposal_received", facts);
	cr_expect_str_eq(l, "/call.html?id=3");
	free(l);
	json_decref(facts);
}
