#include "notify/notice_text.h"

#include "domain/ascii.h"
#include "domain/timefmt.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The texts. {name} is replaced by the fact of that name: a time (names ending in "_at",
 * "deadline") as "17:00 01/12/2026" in Vietnam's time (UTC+7), a number in decimal, a text as it
 * is; {result} is the person's own result, made from rank and award. The "sms" texts are written
 * with diacritics here and folded to ASCII when rendered.
 */
struct notice_words {
	const char *title, *body, *sms;
};
struct notice_event {
	const char *event;
	struct notice_words vi, en;
};

static const struct notice_event events[] = {
	{ "proposal_received",
	  { "Đã nhận đề xuất {tracking_code}",
	    "Đề xuất “{title}” gửi cho “{campaign_title}” đã được nhận. Mã theo dõi: {tracking_code}.",
	    "Phường đã nhận đề xuất “{title}”. Mã theo dõi: {tracking_code}." },
	  { "Proposal {tracking_code} received",
	    "Your proposal “{title}” to “{campaign_title}” has been received. Tracking code: {tracking_code}.",
	    "The ward received your proposal “{title}”. Tracking code: {tracking_code}." } },
	{ "proposal_withdrawn",
	  { "Đề xuất {tracking_code} đã được rút",
	    "Đề xuất “{title}” đã được rút khỏi “{campaign_title}” và sẽ không được chấm điểm.",
	    "Đề xuất {tracking_code} “{title}” đã được rút." },
	  { "Proposal {tracking_code} withdrawn",
	    "The proposal “{title}” was withdrawn from “{campaign_title}” and will not be scored.",
	    "Proposal {tracking_code} “{title}” was withdrawn." } },
	{ "deadline_extended",
	  { "Gia hạn nhận đề xuất",
	    "Hạn nhận đề xuất của “{campaign_title}” được gia hạn đến {closes_at}.",
	    "“{campaign_title}” gia hạn nhận đề xuất đến {closes_at}." },
	  { "Deadline extended",
	    "The deadline for proposals to “{campaign_title}” was extended to {closes_at}.",
	    "“{campaign_title}”: deadline extended to {closes_at}." } },
	{ "results_published",
	  { "Đã công bố kết quả",
	    "Kết quả của “{campaign_title}” đã được công bố. Đề xuất {tracking_code}: {result}.",
	    "Đã công bố kết quả “{campaign_title}”. Đề xuất {tracking_code}: {result}." },
	  { "Results published",
	    "The results of “{campaign_title}” have been published. Proposal {tracking_code}: {result}.",
	    "Results of “{campaign_title}” published. Proposal {tracking_code}: {result}." } },
	{ "results_corrected",
	  { "Kết quả đã được đính chính",
	    "Kết quả của “{campaign_title}” đã được đính chính (lần {version}). Đề xuất {tracking_code}: {result}.",
	    "Kết quả “{campaign_title}” đã đính chính. Đề xuất {tracking_code}: {result}." },
	  { "Results corrected",
	    "The results of “{campaign_title}” were corrected (version {version}). Proposal {tracking_code}: {result}.",
	    "Results of “{campaign_title}” corrected. Proposal {tracking_code}: {result}." } },
	{ "correction_published",
	  { "Đã công bố đính chính",
	    "Bản đính chính lần {version} của kết quả “{campaign_title}” đã được công bố.",
	    "Đã công bố đính chính lần {version} kết quả “{campaign_title}”." },
	  { "Correction published",
	    "Version {version} of the results of “{campaign_title}” has been published as a correction.",
	    "Correction {version} of the results of “{campaign_title}” published." } },
	{ "setup_code_issued",
	  { "Đã cấp mã đặt mật khẩu",
	    "Một mã đặt mật khẩu cho tài khoản của bạn đã được cấp, dùng được đến {expires_at}. Nếu bạn không yêu cầu, hãy báo cán bộ phường.",
	    "Mã đặt mật khẩu cho tài khoản của bạn đã được cấp, hạn {expires_at}. Không phải bạn yêu cầu? Hãy báo phường." },
	  { "Set-up code issued",
	    "A password set-up code for your account was issued; it can be used until {expires_at}. If you did not ask for it, tell the ward office.",
	    "A password set-up code for your account was issued, valid until {expires_at}. Not you? Tell the ward office." } },
	{ "password_changed",
	  { "Mật khẩu đã được đặt",
	    "Mật khẩu tài khoản của bạn đã được đặt lúc {at}. Nếu không phải bạn, hãy báo cán bộ phường ngay.",
	    "Mật khẩu tài khoản của bạn đã được đặt lúc {at}. Không phải bạn? Hãy báo phường ngay." },
	  { "Password set",
	    "The password of your account was set at {at}. If this was not you, tell the ward office at once.",
	    "Your account's password was set at {at}. Not you? Tell the ward office at once." } },
	{ "new_device",
	  { "Đăng nhập từ thiết bị mới",
	    "Tài khoản của bạn vừa đăng nhập từ một thiết bị mới lúc {at}. Nếu không phải bạn, hãy báo cán bộ phường để đặt lại mật khẩu.",
	    "Tài khoản của bạn vừa đăng nhập từ thiết bị mới lúc {at}. Không phải bạn? Hãy báo phường." },
	  { "Signed in on a new device",
	    "Your account signed in on a new device at {at}. If this was not you, ask the ward office to reset your password.",
	    "Your account signed in on a new device at {at}. Not you? Tell the ward office." } },
	{ "panelist_assigned",
	  { "Bạn được mời thẩm định",
	    "Bạn đã được đưa vào tổ thẩm định của “{campaign_title}”. Các đề xuất cần chấm sẽ có trong trang Thẩm định.",
	    "Bạn được đưa vào tổ thẩm định “{campaign_title}”." },
	  { "You are on the appraisal panel",
	    "You were added to the appraisal panel of “{campaign_title}”. The proposals to score will be on the Appraisal page.",
	    "You were added to the appraisal panel of “{campaign_title}”." } },
	{ "review_reminder",
	  { "Nhắc chấm điểm: còn {hours} giờ",
	    "Bạn còn {missing} đề xuất chưa chấm trong “{campaign_title}”. Hạn chấm điểm: {deadline}.",
	    "Còn {missing} đề xuất chưa chấm trong “{campaign_title}”, hạn {deadline}." },
	  { "Scoring reminder: {hours} hours left",
	    "You have {missing} proposals left to score in “{campaign_title}”. Scoring deadline: {deadline}.",
	    "{missing} proposals left to score in “{campaign_title}”, due {deadline}." } },
	{ "scoring_deadline_moved",
	  { "Hạn chấm điểm đã đổi",
	    "Hạn chấm điểm của “{campaign_title}” nay là {deadline}.",
	    "Hạn chấm điểm “{campaign_title}” nay là {deadline}." },
	  { "Scoring deadline changed",
	    "The scoring deadline of “{campaign_title}” is now {deadline}.",
	    "“{campaign_title}”: scoring deadline now {deadline}." } },
	{ "panel_locked",
	  { "Tổ thẩm định đã khoá",
	    "Việc chấm điểm “{campaign_title}” đã khoá: không thể sửa đánh giá nữa. Cảm ơn bạn.",
	    "Chấm điểm “{campaign_title}” đã khoá. Cảm ơn bạn." },
	  { "Panel locked",
	    "Scoring of “{campaign_title}” is locked: reviews can no longer change. Thank you.",
	    "Scoring of “{campaign_title}” is locked. Thank you." } },
	{ "deadline_passed",
	  { "Đã hết hạn nhận đề xuất",
	    "“{campaign_title}” đã hết hạn nhận đề xuất lúc {closes_at}, với {submitted} đề xuất đã gửi.",
	    "“{campaign_title}” hết hạn nhận lúc {closes_at}: {submitted} đề xuất." },
	  { "Submission deadline passed",
	    "The deadline of “{campaign_title}” passed at {closes_at}, with {submitted} proposals submitted.",
	    "“{campaign_title}” closed at {closes_at}: {submitted} proposals." } },
	{ "reviews_complete",
	  { "Đã đủ đánh giá",
	    "Mọi đánh giá được phân công của “{campaign_title}” đã được nộp đủ. Có thể khoá tổ thẩm định.",
	    "“{campaign_title}”: đã nộp đủ mọi đánh giá." },
	  { "Every review is in",
	    "Every assigned review of “{campaign_title}” has been submitted. The panel can be locked.",
	    "“{campaign_title}”: every review is in." } },
};

#define N_EVENTS (sizeof events / sizeof events[0])

size_t sk_notice_event_count(void)
{
	return N_EVENTS;
}

const char *sk_notice_event_name(size_t i)
{
	return i < N_EVENTS ? events[i].event : NULL;
}

/* A growing string; on failure ok becomes false and stays so. */
struct buf {
	char *s;
	size_t len, cap;
	bool ok;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (!b->ok)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *t = realloc(b->s, cap);
		if (t == NULL) {
			b->ok = false;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static bool is_time_fact(const char *name, size_t n)
{
	return (n >= 3 && memcmp(name + n - 3, "_at", 3) == 0) || (n == 2 && memcmp(name, "at", 2) == 0) ||
	       (n >= 8 && memcmp(name + n - 8, "deadline", 8) == 0);
}

/* "17:00 01/12/2026" in UTC+7 from an ISO time; the text itself when it is not one. */
static void add_time(struct buf *b, const char *iso)
{
	int64_t t;
	if (!sk_time_parse_iso(iso, &t)) {
		buf_add(b, iso, strlen(iso));
		return;
	}
	time_t local = (time_t)(t + 7 * 3600);
	struct tm tm;
	gmtime_r(&local, &tm);
	char s[32];
	int n = snprintf(s, sizeof s, "%02d:%02d %02d/%02d/%04d", tm.tm_hour, tm.tm_min, tm.tm_mday, tm.tm_mon + 1,
			 tm.tm_year + 1900);
	buf_add(b, s, (size_t)n);
}

/* The person's own result from facts rank and award. */
static void add_result(struct buf *b, const json_t *facts, bool vi)
{
	const char *award = json_string_value(json_object_get(facts, "award"));
	json_t *rank = json_object_get(facts, "rank");
	char s[64];
	if (award != NULL && award[0] != '\0') {
		buf_add(b, vi ? "đạt " : "won ", strlen(vi ? "đạt " : "won "));
		buf_add(b, award, strlen(award));
		if (json_is_integer(rank)) {
			int n = snprintf(s, sizeof s, vi ? " (hạng %lld)" : " (rank %lld)", (long long)json_integer_value(rank));
			buf_add(b, s, (size_t)n);
		}
	} else if (json_is_integer(rank)) {
		int n = snprintf(s, sizeof s, vi ? "xếp hạng %lld, không có giải" : "ranked %lld, no award",
				 (long long)json_integer_value(rank));
		buf_add(b, s, (size_t)n);
	} else {
		const char *t = vi ? "không có trong bảng xếp hạng" : "not in the ranking";
		buf_add(b, t, strlen(t));
	}
}

/*
 * Fills template tpl from facts into a new string. Texts longer than cut code points (title,
 * campaign_title) are shortened to cut with "…" (cut 0: never).
 */
static char *render(const char *tpl, const json_t *facts, bool vi, size_t cut)
{
	struct buf b = { .ok = true };
	buf_add(&b, "", 0);
	const char *p = tpl;
	while (*p) {
		const char *open = strchr(p, '{');
		if (open == NULL) {
			buf_add(&b, p, strlen(p));
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		if (close == NULL) {
			buf_add(&b, open, strlen(open));
			break;
		}
		char name[48];
		size_t n = (size_t)(close - open - 1);
		if (n >= sizeof name)
			n = sizeof name - 1;
		memcpy(name, open + 1, n);
		name[n] = '\0';
		p = close + 1;
		if (strcmp(name, "result") == 0) {
			add_result(&b, facts, vi);
			continue;
		}
		json_t *v = json_object_get(facts, name);
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			if (is_time_fact(name, n)) {
				add_time(&b, s);
				continue;
			}
			size_t len = strlen(s);
			if (cut > 0 && (strcmp(name, "title") == 0 || strcmp(name, "campaign_title") == 0)) {
				/* cut code points: count UTF-8 lead bytes */
				size_t cps = 0, i = 0;
				for (; i < len; i++)
					if (((unsigned char)s[i] & 0xC0) != 0x80 && ++cps > cut)
						break;
				if (i < len) {
					buf_add(&b, s, i);
					buf_add(&b, "…", strlen("…"));
					continue;
				}
			}
			buf_add(&b, s, len);
		} else if (json_is_integer(v)) {
			char s[32];
			int m = snprintf(s, sizeof s, "%lld", (long long)json_integer_value(v));
			buf_add(&b, s, (size_t)m);
		} else {
			buf_add(&b, "…", strlen("…"));
		}
	}
	if (!b.ok) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* The SMS text: folded to ASCII, long titles shortened until it fits one segment (or cannot). */
static char *render_sms(const char *tpl, const json_t *facts, bool vi)
{
	static const size_t cuts[] = { 0, 60, 40, 24, 12 };
	char *folded = NULL;
	for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
		char *text = render(tpl, facts, vi, cuts[k]);
		if (text == NULL)
			return NULL;
		free(folded);
		folded = sk_ascii_fold(text);
		free(text);
		if (folded == NULL || strlen(folded) <= SK_SMS_SEGMENT)
			break;
	}
	return folded;
}

int sk_notice_text(const char *event, const char *lang, const char *channel, const json_t *facts, char **title,
		   char **body)
{
	*title = *body = NULL;
	const struct notice_event *e = NULL;
	for (size_t i = 0; event != NULL && i < N_EVENTS; i++)
		if (strcmp(events[i].event, event) == 0)
			e = &events[i];
	if (e == NULL)
		return -1;
	bool vi = lang == NULL || strcmp(lang, "en") != 0;
	const struct notice_words *w = vi ? &e->vi : &e->en;
	if (channel != NULL && strcmp(channel, "sms") == 0) {
		*title = strdup("");
		*body = render_sms(w->sms, facts, vi);
	} else {
		*title = render(w->title, facts, vi, 0);
		*body = render(w->body, facts, vi, 0);
	}
	if (*title == NULL || *body == NULL) {
		free(*title);
		free(*body);
		*title = *body = NULL;
		return -1;
	}
	return 0;
}

char *sk_notice_link(const char *event, const json_t *facts)
{
	const char *code = json_string_value(json_object_get(facts, "tracking_code"));
	json_t *campaign = json_object_get(facts, "campaign_id");
	char s[160];
	if (event == NULL)
		return NULL;
	if (strcmp(event, "setup_code_issued") == 0 || strcmp(event, "password_changed") == 0 ||
	    strcmp(event, "new_device") == 0)
		snprintf(s, sizeof s, "/account.html");
	else if ((strcmp(event, "results_published") == 0 || strcmp(event, "results_corrected") == 0 ||
		  strcmp(event, "correction_published") == 0) && json_is_integer(campaign))
		snprintf(s, sizeof s, "/results.html?id=%lld", (long long)json_integer_value(campaign));
	else if (code != NULL && strlen(code) < 64 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == strlen(code))
		snprintf(s, sizeof s, "/track.html?code=%s", code);
	else if ((strcmp(event, "panelist_assigned") == 0 || strcmp(event, "review_reminder") == 0 ||
		  strcmp(event, "scoring_deadline_moved") == 0 || strcmp(event, "panel_locked") == 0) && json_is_integer(campaign))
		snprintf(s, sizeof s, "/panel.html?campaign=%lld", (long long)json_integer_value(campaign));
	else if (json_is_integer(campaign) &&
		 (strcmp(event, "deadline_passed") == 0 || strcmp(event, "reviews_complete") == 0))
		snprintf(s, sizeof s, "/appraisal.html?campaign=%lld", (long long)json_integer_value(campaign));
	else if (json_is_integer(campaign))
		snprintf(s, sizeof s, "/call.html?id=%lld", (long long)json_integer_value(campaign));
	else
		return NULL;
	return strdup(s);
}
