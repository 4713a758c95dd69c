#include "domain/campaign.h"
#include "domain/csv.h"
#include "domain/filetype.h"
#include "domain/search.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(campaign, states_round_trip)
{
	for (int s = SK_CAMPAIGN_DRAFT; s <= SK_CAMPAIGN_PUBLISHED; s++)
		cr_assert_eq(sk_campaign_state_parse(sk_campaign_state_name((enum sk_campaign_state)s)), s);
	cr_assert_eq(sk_campaign_state_parse("opened"), SK_CAMPAIGN_INVALID);
}

Test(campaign, only_the_next_state_is_legal)
{
	for (int from = SK_CAMPAIGN_DRAFT; from <= SK_CAMPAIGN_PUBLISHED; from++)
		for (int to = SK_CAMPAIGN_DRAFT; to <= SK_CAMPAIGN_PUBLISHED; to++) {
			enum sk_transition_verdict v = sk_campaign_transition(from, to, 2000, 1000);
			cr_assert_eq(v == SK_TRANSITION_OK, to == from + 1, "%d -> %d", from, to);
		}
}

Test(campaign, closing_waits_for_the_deadline)
{
	cr_assert_eq(sk_campaign_transition(SK_CAMPAIGN_OPEN, SK_CAMPAIGN_CLOSED, 999, 1000), SK_TRANSITION_TOO_EARLY);
	cr_assert_eq(sk_campaign_transition(SK_CAMPAIGN_OPEN, SK_CAMPAIGN_CLOSED, 1000, 1000), SK_TRANSITION_OK);
}

Test(campaign, accepting_is_half_open_at_the_deadline)
{
	cr_assert(!sk_campaign_accepting(SK_CAMPAIGN_OPEN, 99, 100, 200));
	cr_assert(sk_campaign_accepting(SK_CAMPAIGN_OPEN, 100, 100, 200));
	cr_assert(sk_campaign_accepting(SK_CAMPAIGN_OPEN, 199, 100, 200));
	cr_assert(!sk_campaign_accepting(SK_CAMPAIGN_OPEN, 200, 100, 200));
	cr_assert(!sk_campaign_accepting(SK_CAMPAIGN_DRAFT, 150, 100, 200));
	cr_assert(!sk_campaign_accepting(SK_CAMPAIGN_CLOSED, 150, 100, 200));
}

Test(campaign, config_is_frozen_after_draft)
{
	cr_assert(sk_campaign_config_editable(SK_CAMPAIGN_DRAFT));
	cr_assert(!sk_campaign_config_editable(SK_CAMPAIGN_OPEN));
	cr_assert(sk_campaign_text_editable(SK_CAMPAIGN_OPEN));
	cr_assert(sk_campaign_text_editable(SK_CAMPAIGN_CLOSED));
	cr_assert(sk_campaign_text_editable(SK_CAMPAIGN_APPRAISAL));
	cr_assert(!sk_campaign_text_editable(SK_CAMPAIGN_DECIDED));
	cr_assert(!sk_campaign_text_editable(SK_CAMPAIGN_PUBLISHED));
	cr_assert(!sk_campaign_text_revised(SK_CAMPAIGN_DRAFT));
	cr_assert(sk_campaign_text_revised(SK_CAMPAIGN_OPEN));
	cr_assert(sk_campaign_text_revised(SK_CAMPAIGN_APPRAISAL));
	cr_assert(!sk_campaign_text_revised(SK_CAMPAIGN_PUBLISHED));
}

Test(campaign, a_deadline_is_extended_only_later_and_only_while_open)
{
	const int64_t now = 1000000, closes = now + 600;
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, now, closes, closes + 1), SK_EXTENSION_OK);
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, now, closes, closes), SK_EXTENSION_NOT_LATER);
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, now, closes, closes - 60), SK_EXTENSION_NOT_LATER);
	/* Open but past its deadline (not closed yet): the new one must still be in the future. */
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, closes + 100, closes, closes + 50), SK_EXTENSION_PAST);
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, closes + 100, closes, closes + 101), SK_EXTENSION_OK);
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, now, closes, now + SK_EXTENSION_MAX_AHEAD), SK_EXTENSION_OK);
	cr_assert_eq(sk_campaign_extension(SK_CAMPAIGN_OPEN, now, closes, now + SK_EXTENSION_MAX_AHEAD + 1),
		     SK_EXTENSION_TOO_FAR);
	for (int s = SK_CAMPAIGN_DRAFT; s <= SK_CAMPAIGN_PUBLISHED; s++)
		if (s != SK_CAMPAIGN_OPEN)
			cr_assert_eq(sk_campaign_extension((enum sk_campaign_state)s, now, closes, closes + 60),
				     SK_EXTENSION_NOT_OPEN);
}

static void fold_is(const char *in, const char *expect)
{
	char *out = sk_search_fold(in);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, expect, "'%s' folded to '%s'", in, out);
	free(out);
}

Test(search, folds_vietnamese_diacritics_and_case)
{
	fold_is("Chuyển Đổi  số!", "chuyen doi so");
	fold_is("chuyen doi so", "chuyen doi so");
	fold_is("ĐƯỜNG PHỐ Đẹp", "duong pho dep");
	fold_is("Ứng dụng Zalo cho tổ dân phố 5", "ung dung zalo cho to dan pho 5");
	fold_is("Vie\xcc\xa3\xcc\x82t", "viet"); /* decomposed input */
	fold_is("HC-2026-0042", "hc 2026 0042");
	fold_is("", "");
	cr_assert_null(sk_search_fold("\xff"));
}

Test(filetype, recognises_by_content_only)
{
	cr_assert_str_eq(sk_filetype_sniff((const unsigned char *)"\xFF\xD8\xFF\xE0xxxx", 8), "image/jpeg");
	cr_assert_str_eq(sk_filetype_sniff((const unsigned char *)"\x89PNG\r\n\x1a\n....", 12), "image/png");
	cr_assert_str_eq(sk_filetype_sniff((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16), "image/webp");
	cr_assert_str_eq(sk_filetype_sniff((const unsigned char *)"%PDF-1.7\n", 9), "application/pdf");
	cr_assert_null(sk_filetype_sniff((const unsigned char *)"<html><script>", 14));
	cr_assert_null(sk_filetype_sniff((const unsigned char *)"GIF89a", 6));
	cr_assert_null(sk_filetype_sniff((const unsigned char *)"\xFF\xD8", 2));
	cr_assert_null(sk_filetype_sniff((const unsigned char *)"", 0));
}

Test(csv, quotes_and_neutralises_formulas)
{
	struct sk_csv csv;
	sk_csv_init(&csv);
	sk_csv_field(&csv, "Mã");
	sk_csv_field(&csv, "Tiêu đề");
	sk_csv_end_row(&csv);
	sk_csv_field(&csv, "a,b");
	sk_csv_field(&csv, "say \"hi\"");
	sk_csv_field(&csv, "=HYPERLINK(\"x\")");
	sk_csv_field(&csv, NULL);
	sk_csv_field(&csv, "-8.531");
	sk_csv_field(&csv, "-1+1");
	sk_csv_end_row(&csv);
	size_t len;
	char *doc = sk_csv_take(&csv, &len);
	cr_assert_str_eq(doc, "\xEF\xBB\xBFMã,Tiêu đề\r\n\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",,-8.531,\"'-1+1\"\r\n");
	cr_assert_eq(len, strlen(doc));
	free(doc);
}

Test(csv, neutralises_a_leading_tab_or_carriage_return)
{
	struct sk_csv csv;
	sk_csv_init(&csv);
	sk_csv_field(&csv, "\t=1+1");
	sk_csv_field(&csv, "\r=1+1");
	sk_csv_field(&csv, "\tplain");
	sk_csv_field(&csv, "a\tb");
	sk_csv_end_row(&csv);
	size_t len;
	char *doc = sk_csv_take(&csv, &len);
	cr_assert_str_eq(doc, "\xEF\xBB\xBF\"'\t=1+1\",\"'\r=1+1\",\"'\tplain\",a\tb\r\n");
	free(doc);
}

Test(filetype, media_type_is_parsed_exactly)
{
	cr_assert(sk_media_type_is("image/png", "image/png"));
	cr_assert(sk_media_type_is("IMAGE/Png", "image/png"));
	cr_assert(sk_media_type_is(" image/png ", "image/png"));
	cr_assert(sk_media_type_is("image/png;name=a.png", "image/png"));
	cr_assert(sk_media_type_is("image/png ; charset=\"x;y\"", "image/png"));
	cr_assert(!sk_media_type_is("image/pngX", "image/png"));
	cr_assert(!sk_media_type_is("image/png-evil", "image/png"));
	cr_assert(!sk_media_type_is("image/png x", "image/png"));
	cr_assert(!sk_media_type_is("image/png,text/html", "image/png"));
	cr_assert(!sk_media_type_is("image /png", "image/png"));
	cr_assert(!sk_media_type_is("image/", "image/png"));
	cr_assert(!sk_media_type_is("image", "image"));
	cr_assert(!sk_media_type_is("", "image/png"));
	cr_assert(!sk_media_type_is("image/png;", "image/png"), "an empty parameter");
	cr_assert(!sk_media_type_is("image/png; =x", "image/png"));
	cr_assert(!sk_media_type_is("image/png; a", "image/png"), "a parameter without a value");
	cr_assert(!sk_media_type_is("image/png; a=\"x", "image/png"), "an unclosed quoted string");
	cr_assert(!sk_media_type_is("image/png\x01", "image/png"));
	cr_assert(!sk_media_type_is(NULL, "image/png"));
}

#include "domain/timefmt.h"

Test(timefmt, parses_offsets_and_refuses_ambiguity)
{
	int64_t t;
	cr_assert(sk_time_parse_iso("2026-12-01T17:00:00+07:00", &t));
	cr_assert_eq(t, 1796119200);
	cr_assert(sk_time_parse_iso("2026-12-01T10:00Z", &t));
	cr_assert_eq(t, 1796119200);
	cr_assert(sk_time_parse_iso("2026-12-01 10:00:00.123Z", &t));
	cr_assert_eq(t, 1796119200);
	cr_assert(sk_time_parse_iso("2024-02-29T00:00:00+0000", &t));
	cr_assert(!sk_time_parse_iso("2026-12-01T17:00:00", &t), "no offset");
	cr_assert(!sk_time_parse_iso("2025-02-29T00:00:00Z", &t), "not a leap year");
	cr_assert(!sk_time_parse_iso("2026-13-01T00:00:00Z", &t));
	cr_assert(!sk_time_parse_iso("2026-12-01T24:00:00Z", &t));
	cr_assert(!sk_time_parse_iso("tomorrow", &t));
	cr_assert(!sk_time_parse_iso("2026-12-01T10:00Zjunk", &t));
}
