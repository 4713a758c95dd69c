/*
 * The notification sender (issue 13 part 2) with real parts: a real SMTP server (aiosmtpd,
 * tests/notify/smtp.py) and a local HTTP gateway (tests/notify/gateway.py) that answers 200, 4xx,
 * 5xx, 429, times out or closes the connection and counts requests per idempotency key. The
 * daemons send at the real clock (the sender does not read X-Sangkien-Test-Now).
 *
 * The suite works in a database of its own (sangkien_test_delivery, made by main below) and runs
 * its tests one at a time: a sender claims every due row of its database, so two tests sharing one
 * would steal each other's notices.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char DURL[1024];
static PGconn *PG;

struct proc {
	pid_t pid;
	int port;
};

static struct proc GW, SMTP;
static char DIR_[256], SECRET[300], MAILS[300];

#define S64(v) fmt_path("%lld", (long long)(v))

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Starts tests/notify/<script> PORT_FILE arg and waits for its port. */
static void py_start(struct proc *p, const char *script, const char *arg)
{
	const char *src = getenv("SANGKIEN_SRC") ? getenv("SANGKIEN_SRC") : ".";
	char path[512], port_file[400];
	snprintf(path, sizeof path, "%s/tests/notify/%s", src, script);
	snprintf(port_file, sizeof port_file, "%s/%s.port", DIR_, script);
	unlink(port_file);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* Debian's python3 (with python3-aiosmtpd), not one a version manager puts first on PATH */
		if (access("/usr/bin/python3", X_OK) == 0)
			execl("/usr/bin/python3", "python3", path, port_file, arg, (char *)NULL);
		execlp("python3", "python3", path, port_file, arg, (char *)NULL);
		_exit(127);
	}
	p->pid = pid;
	p->port = 0;
	for (int i = 0; i < 200 && p->port == 0; i++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			if (fscanf(f, "%d", &p->port) != 1)
				p->port = 0;
			fclose(f);
		}
		if (p->port == 0)
			usleep(50 * 1000);
	}
	cr_assert(p->port > 0, "%s did not start within 10 s", script);
}

static void py_stop(struct proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

struct body {
	char *s;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	b->s = realloc(b->s, b->len + size * n + 1);
	memcpy(b->s + b->len, p, size * n);
	b->len += size * n;
	b->s[b->len] = '\0';
	return size * n;
}

/* A request to the gateway's control API; its JSON answer (caller decrefs). */
static json_t *gw(const char *method, const char *path, const char *body)
{
	CURL *h = curl_easy_init();
	char url[600];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", GW.port, path);
	struct body b = { 0 };
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	cr_assert_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	json_t *j = json_loads(b.s ? b.s : "", 0, NULL);
	free(b.s);
	cr_assert_not_null(j);
	return j;
}

static void gw_mode(const char *json)
{
	json_decref(gw("POST", "/_mode", json));
}

static long gw_requests(void)
{
	json_t *j = gw("GET", "/_stats", NULL);
	long n = (long)json_integer_value(json_object_get(j, "requests"));
	json_decref(j);
	return n;
}

/* The times the gateway received key, into t (at most 16); their count. */
static int gw_times(const char *key, double t[16])
{
	json_t *j = gw("GET", "/_stats", NULL);
	json_t *a = json_object_get(json_object_get(j, "keys"), key);
	int n = 0;
	for (size_t i = 0; i < json_array_size(a) && n < 16; i++)
		t[n++] = json_real_value(json_array_get(a, i));
	json_decref(j);
	return n;
}

/* The mails the SMTP server received, as a JSON array (caller decrefs). */
static json_t *mails(void)
{
	json_t *all = json_array();
	FILE *f = fopen(MAILS, "r");
	if (f == NULL)
		return all;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *m = json_loads(line, 0, NULL);
		if (m)
			json_array_append_new(all, m);
	}
	free(line);
	fclose(f);
	return all;
}

/* DURL: the test database's URL with the database sangkien_test_delivery (or <name>_delivery). */
static void delivery_url(const char *url)
{
	const char *q = strstr(url, ":///");
	if (q != NULL) {
		const char *rest = strchr(q + 4, '?');
		snprintf(DURL, sizeof DURL, "%.*s_delivery%s", (int)((rest ? rest : q + strlen(q)) - url), url,
			 rest ? rest : "");
	} else {
		snprintf(DURL, sizeof DURL, "%s dbname=sangkien_test_delivery", url);
	}
}

static void up(void)
{
	/* criterion runs each test in a new process that does not go through main */
	delivery_url(getenv("SANGKIEN_TEST_DATABASE_URL"));
	snprintf(DIR_, sizeof DIR_, "/tmp/sk-delivery-XXXXXX");
	cr_assert_not_null(mkdtemp(DIR_));
	snprintf(SECRET, sizeof SECRET, "%s/gateway.secret", DIR_);
	snprintf(MAILS, sizeof MAILS, "%s/mails.jsonl", DIR_);
	FILE *f = fopen(SECRET, "w");
	fputs("test-gateway-secret-0123456789abcdef\n", f);
	fclose(f);
	py_start(&GW, "gateway.py", SECRET);
	py_start(&SMTP, "smtp.py", MAILS);
	PG = db_connect(DURL);
}

static void down(void)
{
	/* nothing left for the next test's sender */
	PQclear(db_exec(PG, "UPDATE notification_deliveries SET state = 'cancelled' WHERE state = 'pending'", 0, NULL));
	PQfinish(PG);
	py_stop(&GW);
	py_stop(&SMTP);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", DIR_);
}

TestSuite(delivery, .init = up, .fini = down, .timeout = 280);

/* Starts a daemon that sends to this test's gateway and SMTP server. */
static void serve(struct srv *s, const char *quiet, int cap)
{
	static char e[8][600];
	snprintf(e[0], sizeof e[0], "SANGKIEN_SMS_GATEWAY_URL=http://127.0.0.1:%d/sms", GW.port);
	snprintf(e[1], sizeof e[1], "SANGKIEN_ZALO_GATEWAY_URL=http://127.0.0.1:%d/zalo", GW.port);
	snprintf(e[2], sizeof e[2], "SANGKIEN_GATEWAY_SECRET_FILE=%s", SECRET);
	snprintf(e[3], sizeof e[3], "SANGKIEN_SMTP_URL=smtp://127.0.0.1:%d", SMTP.port);
	snprintf(e[4], sizeof e[4], "SANGKIEN_SMTP_FROM=thongbao@phuong.example.vn");
	snprintf(e[5], sizeof e[5], "SANGKIEN_QUIET_HOURS=%s", quiet ? quiet : "");
	snprintf(e[6], sizeof e[6], "SANGKIEN_NOTIFY_DAILY_CAP=%d", cap);
	const char *env[] = { e[0], e[1], e[2], e[3], e[4], e[5], e[6], "SANGKIEN_NOTIFY_RETRY_BASE=1",
			      "SANGKIEN_NOTIFY_TIMEOUT=2", "SANGKIEN_PUBLIC_URL=https://sangkien.example.vn", NULL };
	srv_start(s, DURL, env);
}

/* A person with the chosen channels (phone login, email address p<id>@example.vn); its id. */
static int64_t person(bool sms, bool zalo, bool email)
{
	char phone[16], login[20];
	rand_phone(phone);
	snprintf(login, sizeof login, "+84%s", phone + 1);
	const char *p1[] = { login };
	int64_t id = db_int(PG,
			    "INSERT INTO accounts (login, login_kind, display_name) VALUES ($1, 'phone', 'Người thử')"
			    " RETURNING id",
			    1, p1);
	const char *p2[] = { S64(id), sms ? "t" : "f", zalo ? "t" : "f", email ? "t" : "f" };
	PQclear(db_exec(PG,
			"INSERT INTO notification_settings (account_id, sms, zalo, email, email_address)"
			" VALUES ($1::bigint, $2, $3, $4, 'p' || $1::bigint || '@example.vn')",
			4, p2));
	return id;
}

#define FACTS                                                                                                    \
	"{\"proposal_id\": 7, \"campaign_id\": 3, \"tracking_code\": \"HC-2026-0042\", \"title\": \"Chợ số cho phường\"," \
	" \"campaign_title\": \"Sáng kiến chuyển đổi số 2026\"}"

/* A "proposal received" notice for account, now; its notification id. */
static int64_t notice(int64_t account)
{
	const char *p[] = { S64(account), FACTS };
	return db_int(PG, "SELECT notify($1, NULL, 'proposal_received', $2::jsonb, now())", 2, p);
}

static const char *key_of(int64_t nid, const char *channel)
{
	return fmt_path("sk-n%lld-%s", (long long)nid, channel);
}

static char *state_of(int64_t nid, const char *channel)
{
	const char *p[] = { S64(nid), channel };
	return db_text(PG, "SELECT state FROM notification_deliveries WHERE notification_id = $1 AND channel = $2", 2, p);
}

/* Waits (at most seconds) until the delivery of nid by channel is in state want. */
static bool wait_state(int64_t nid, const char *channel, const char *want, double seconds)
{
	double until = now_s() + seconds;
	do {
		char *st = state_of(nid, channel);
		bool ok = st && !strcmp(st, want);
		free(st);
		if (ok)
			return true;
		usleep(100 * 1000);
	} while (now_s() < until);
	return false;
}

static long long sqlint(const char *sql, int64_t nid)
{
	const char *p[] = { S64(nid) };
	return db_int(PG, sql, 1, p);
}

Test(delivery, email_over_smtp_with_an_encoded_vietnamese_subject)
{
	struct srv s;
	serve(&s, NULL, 0);
	int64_t who = person(false, false, true), nid = notice(who);
	cr_assert(wait_state(nid, "email", "sent", 20), "the email was not sent");
	json_t *all = mails();
	cr_assert_eq(json_array_size(all), 1);
	json_t *m = json_array_get(all, 0);
	char addr[64];
	snprintf(addr, sizeof addr, "p%lld@example.vn", (long long)who);
	cr_expect_str_eq(json_string_value(json_object_get(m, "mail_from")), "thongbao@phuong.example.vn");
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(m, "rcpt_tos"), 0)), addr);
	cr_expect_str_eq(json_string_value(json_object_get(m, "to")), addr);
	const char *raw = json_string_value(json_object_get(m, "subject_raw"));
	cr_expect(!strncmp(raw, "=?UTF-8?B?", 10), "subject as sent: %s", raw);
	cr_expect_str_eq(json_string_value(json_object_get(m, "subject")), "Đã nhận đề xuất HC-2026-0042");
	cr_expect_str_eq(json_string_value(json_object_get(m, "content_type")), "text/plain");
	cr_expect_str_eq(json_string_value(json_object_get(m, "charset")), "utf-8");
	char mid[96];
	snprintf(mid, sizeof mid, "<sk-n%lld-email@phuong.example.vn>", (long long)nid);
	cr_expect_str_eq(json_string_value(json_object_get(m, "message_id")), mid);
	cr_expect(strstr(json_string_value(json_object_get(m, "date")), "+0700") != NULL);
	const char *body = json_string_value(json_object_get(m, "body"));
	cr_expect(strstr(body, "Đề xuất “Chợ số cho phường” gửi cho “Sáng kiến chuyển đổi số 2026” đã được nhận.") != NULL,
		  "%s", body);
	cr_expect(strstr(body, "https://sangkien.example.vn/") != NULL, "the link: %s", body);
	json_decref(all);
	cr_expect_eq(sqlint("SELECT count(*) FROM notification_attempts a JOIN notification_deliveries d ON d.id ="
			    " a.delivery_id WHERE d.notification_id = $1 AND a.outcome = 'sent'",
			    nid),
		     1);
	srv_stop(&s);
}

Test(delivery, sms_and_zalo_signed_once_each)
{
	struct srv s;
	serve(&s, NULL, 0);
	int64_t who = person(true, true, false), nid = notice(who);
	cr_assert(wait_state(nid, "sms", "sent", 20));
	cr_assert(wait_state(nid, "zalo", "sent", 20));
	json_t *st = gw("GET", "/_stats", NULL);
	cr_expect_eq(json_integer_value(json_object_get(st, "requests")), 2);
	cr_expect_eq(json_integer_value(json_object_get(st, "bad_signatures")), 0, "the HMAC signature did not verify");
	json_decref(st);
	char *phone = db_text(PG, "SELECT login FROM accounts WHERE id = $1", 1, (const char *[]){ S64(who) });
	json_t *sms = gw("GET", fmt_path("/_last?key=%s", key_of(nid, "sms")), NULL);
	json_t *b = json_object_get(sms, "body");
	cr_expect_str_eq(json_string_value(json_object_get(sms, "path")), "/sms");
	cr_expect(json_is_true(json_object_get(sms, "signature_ok")));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(sms, "headers"), "Idempotency-Key")),
			 key_of(nid, "sms"));
	cr_expect_str_eq(json_string_value(json_object_get(b, "idempotency_key")), key_of(nid, "sms"));
	cr_expect_str_eq(json_string_value(json_object_get(b, "to")), phone);
	cr_expect_str_eq(json_string_value(json_object_get(b, "event")), "proposal_received");
	const char *text = json_string_value(json_object_get(b, "text"));
	cr_expect(strlen(text) <= 160, "%s", text);
	for (const char *p = text; *p; p++)
		cr_expect((unsigned char)*p < 0x80, "not ASCII: %s", text);
	cr_expect(strstr(text, "HC-2026-0042") != NULL, "%s", text);
	json_decref(sms);
	json_t *z = gw("GET", fmt_path("/_last?key=%s", key_of(nid, "zalo")), NULL);
	b = json_object_get(z, "body");
	cr_expect_str_eq(json_string_value(json_object_get(z, "path")), "/zalo");
	cr_expect_str_eq(json_string_value(json_object_get(b, "title")), "Đã nhận đề xuất HC-2026-0042");
	cr_expect(!strncmp(json_string_value(json_object_get(b, "link")), "https://sangkien.example.vn/", 28));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(b, "template_data"), "tracking_code")),
			 "HC-2026-0042");
	json_decref(z);
	free(phone);
	srv_stop(&s);
}

Test(delivery, retries_with_exponential_backoff_then_sent)
{
	gw_mode("{\"script\": [\"500\", \"500\", \"500\", \"200\"]}");
	struct srv s;
	serve(&s, NULL, 0);
	int64_t nid = notice(person(true, false, false));
	cr_assert(wait_state(nid, "sms", "sent", 30));
	double t[16];
	int n = gw_times(key_of(nid, "sms"), t);
	cr_assert_eq(n, 4, "requests of the key: %d", n);
	/* base 1 s: waits of at least 1 (whole seconds), 1, 2 s and at most 1, 2, 4 s + 1 s (rounding) + the poll */
	for (int i = 1; i < 4; i++) {
		double gap = t[i] - t[i - 1], lo = i == 1 ? 1 : 0.5 * (1 << (i - 1)), hi = (1 << (i - 1)) + 2.0;
		cr_expect(gap >= lo - 0.05 && gap <= hi, "gap %d: %.2f s, expected %.1f..%.1f", i, gap, lo, hi);
	}
	cr_expect_eq(sqlint("SELECT attempts FROM notification_deliveries WHERE notification_id = $1", nid), 4);
	char *o = db_text(PG,
			  "SELECT string_agg(a.outcome || ':' || coalesce(a.http_status, 0), ',' ORDER BY a.id)"
			  " FROM notification_attempts a JOIN notification_deliveries d ON d.id = a.delivery_id"
			  " WHERE d.notification_id = $1",
			  1, (const char *[]){ S64(nid) });
	cr_expect_str_eq(o, "retry:500,retry:500,retry:500,sent:200");
	free(o);
	srv_stop(&s);
}

Test(delivery, timeout_closed_connection_and_429_are_retried)
{
	gw_mode("{\"script\": [\"timeout\", \"close\", \"429\", \"200\"], \"retry_after\": 3}");
	struct srv s;
	serve(&s, NULL, 0);
	int64_t nid = notice(person(true, false, false));
	cr_assert(wait_state(nid, "sms", "sent", 40));
	double t[16];
	int n = gw_times(key_of(nid, "sms"), t);
	cr_assert_eq(n, 4);
	cr_expect(t[3] - t[2] >= 2.95, "Retry-After: 3 not honoured: %.2f s", t[3] - t[2]);
	char *o = db_text(PG,
			  "SELECT string_agg(a.outcome || ':' || coalesce(a.http_status, 0) || ':' || a.detail, '|'"
			  " ORDER BY a.id) FROM notification_attempts a JOIN notification_deliveries d ON d.id ="
			  " a.delivery_id WHERE d.notification_id = $1",
			  1, (const char *[]){ S64(nid) });
	cr_expect(strstr(o, "retry:0:Timeout") == o, "%s", o);
	cr_expect(strstr(o, "|retry:0:Server returned nothing") != NULL, "%s", o);
	cr_expect(strstr(o, "|retry:429:HTTP 429") != NULL, "%s", o);
	cr_expect(strstr(o, "|sent:200:") != NULL, "%s", o);
	free(o);
	srv_stop(&s);
}

Test(delivery, a_4xx_is_given_up_at_once)
{
	gw_mode("{\"mode\": \"400\"}");
	struct srv s;
	serve(&s, NULL, 0);
	int64_t nid = notice(person(true, false, false));
	cr_assert(wait_state(nid, "sms", "failed", 20));
	usleep(1500 * 1000);
	cr_expect_eq(gw_requests(), 1);
	char *e = db_text(PG, "SELECT last_error FROM notification_deliveries WHERE notification_id = $1", 1,
			  (const char *[]){ S64(nid) });
	cr_expect(!strncmp(e, "HTTP 400", 8), "%s", e);
	free(e);
	cr_expect_eq(sqlint("SELECT count(*) FROM notification_attempts a JOIN notification_deliveries d ON d.id ="
			    " a.delivery_id WHERE d.notification_id = $1 AND a.outcome = 'rejected'",
			    nid),
		     1);
	srv_stop(&s);
}

Test(delivery, gives_up_at_give_up_at)
{
	gw_mode("{\"mode\": \"500\"}");
	struct srv s;
	serve(&s, NULL, 0);
	int64_t who = person(true, false, false);
	/* the notice and its shortened deadline in one transaction, before the sender can see it */
	PGresult *r = PQexec(PG, fmt_path("BEGIN; SELECT notify(%lld, NULL, 'proposal_received', '%s'::jsonb, now());"
					  " UPDATE notification_deliveries SET give_up_at = now() + interval '5 seconds'"
					  " WHERE notification_id = currval(pg_get_serial_sequence('notifications', 'id'));"
					  " COMMIT",
					  (long long)who, FACTS));
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(PG));
	PQclear(r);
	int64_t nid = db_int(PG, "SELECT max(id) FROM notifications WHERE account_id = $1", 1,
			     (const char *[]){ S64(who) });
	cr_assert(wait_state(nid, "sms", "failed", 20), "not given up");
	long n = gw_requests();
	cr_expect(n >= 2 && n <= 5, "requests before giving up: %ld", n);
	usleep(2000 * 1000);
	cr_expect_eq(gw_requests(), n, "sent after giving up");
	srv_stop(&s);
}

Test(delivery, quiet_hours_postpone_sms_and_zalo_not_email)
{
	/* quiet hours from an hour ago to an hour from now, local time (UTC+7) */
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	int m = tm.tm_hour * 60 + tm.tm_min, a = (m + 1440 - 60) % 1440, b = (m + 60) % 1440;
	char quiet[16];
	snprintf(quiet, sizeof quiet, "%02d:%02d-%02d:%02d", a / 60, a % 60, b / 60, b % 60);
	struct srv s;
	serve(&s, quiet, 0);
	int64_t nid = notice(person(true, true, true));
	cr_assert(wait_state(nid, "email", "sent", 20));
	usleep(1500 * 1000);
	cr_expect_eq(gw_requests(), 0, "an SMS or Zalo message went out in quiet hours");
	cr_expect_eq(sqlint("SELECT count(*) FROM notification_deliveries WHERE notification_id = $1 AND state ="
			    " 'pending' AND channel IN ('sms', 'zalo') AND attempts = 0 AND next_attempt_at BETWEEN"
			    " now() + interval '58 minutes' AND now() + interval '61 minutes'",
			    nid),
		     2);
	cr_expect_eq(sqlint("SELECT count(*) FROM notification_attempts a JOIN notification_deliveries d ON d.id ="
			    " a.delivery_id WHERE d.notification_id = $1 AND a.outcome = 'postponed'",
			    nid),
		     2);
	srv_stop(&s);
}

Test(delivery, daily_cap_per_address_and_channel)
{
	struct srv s;
	serve(&s, NULL, 2);
	int64_t who = person(true, false, false);
	int64_t n1 = notice(who), n2 = notice(who), n3 = notice(who);
	cr_assert(wait_state(n1, "sms", "sent", 20));
	cr_assert(wait_state(n2, "sms", "sent", 20));
	usleep(1500 * 1000);
	cr_expect_eq(gw_requests(), 2);
	char *st = state_of(n3, "sms");
	cr_expect_str_eq(st, "pending");
	free(st);
	/* the next local midnight (UTC+7) */
	cr_expect_eq(sqlint("SELECT count(*) FROM notification_deliveries WHERE notification_id = $1 AND attempts = 0"
			    " AND next_attempt_at = date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')"
			    " AT TIME ZONE 'Asia/Ho_Chi_Minh' + interval '1 day'",
			    n3),
		     1);
	srv_stop(&s);
}

Test(delivery, settings_offer_the_configured_channels)
{
	struct srv s;
	serve(&s, NULL, 0);
	struct client c;
	client_init(&c, &s);
	int64_t group, ward = seed_ward(PG, &group);
	char phone[16], login_[24];
	rand_phone(phone);
	snprintf(login_, sizeof login_, "+84%s", phone + 1);
	make_account(&c, PG, ward, phone, "Người thử");
	client_forget_session(&c);
	cr_assert_eq(login(&c, login_, TEST_PASSWORD), 201);
	struct resp *r = http(&c, "GET", "/api/v1/me/notification-settings", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *a = json_object_get(r->json, "available");
	cr_expect(json_is_true(json_object_get(a, "sms")) && json_is_true(json_object_get(a, "zalo")) &&
		  json_is_true(json_object_get(a, "email")), "%s", r->body);
	resp_free(r);
	r = http(&c, "PUT", "/api/v1/me/notification-settings",
		 "{\"sms\": true, \"zalo\": true, \"email\": true, \"notify_helper\": false,"
		 " \"email_address\": \"nguoi.thu@example.vn\"}",
		 NULL);
	cr_expect_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	client_cleanup(&c);
	srv_stop(&s);
}

/* Flags that cannot work stop the server at start, with a message, instead of losing notices. */
Test(delivery, unfit_flags_refuse_to_start)
{
	const char *bin = getenv("SANGKIEN_BIN") ? getenv("SANGKIEN_BIN") : "build-test/sangkien";
	const struct {
		const char *flags, *says;
		int status;
	} cases[] = {
		{ "--sms-gateway-url=http://127.0.0.1:9/sms", "needs --gateway-secret-file", 2 },
		{ "--zalo-gateway-url=ftp://x/ --gateway-secret-file=/dev/null", "is not an http:// or https:// address", 2 },
		{ "--smtp-url=smtp://127.0.0.1:25", "needs --smtp-from", 2 },
		{ "--smtp-url=http://x --smtp-from=a@b.vn", "is not smtp://host:port", 2 },
		{ "--quiet-hours=21-7", "is not HH:MM-HH:MM", 2 },
		{ "--sms-gateway-url=http://127.0.0.1:9/sms --gateway-secret-file=/nonexistent serve",
		  "--gateway-secret-file cannot be read", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "'%s' --database-url '%s' --sql-dir '%s/sql' %s%s 2>&1", bin, DURL,
			 getenv("SANGKIEN_SRC") ? getenv("SANGKIEN_SRC") : ".", cases[i].flags,
			 strstr(cases[i].flags, " serve") ? "" : " migrate");
		FILE *f = popen(cmd, "r");
		char out[4096] = "";
		size_t n = fread(out, 1, sizeof out - 1, f);
		out[n] = '\0';
		int st = pclose(f);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == cases[i].status, "%s: status %d: %s", cases[i].flags,
			  WEXITSTATUS(st), out);
		cr_expect(strstr(out, cases[i].says) != NULL, "%s: %s", cases[i].flags, out);
	}
}

/* SIGTERM while a slow gateway holds a batch: the server stops after the message in hand and
 * gives the rest of the batch back unsent (not claimed), instead of sending them all first. */
Test(delivery, stop_gives_the_rest_of_a_batch_back)
{
	gw_mode("{\"mode\": \"timeout\"}");
	int64_t who = person(true, false, false), first = notice(who);
	for (int i = 1; i < 10; i++)
		notice(who);
	struct srv s;
	serve(&s, NULL, 0);
	double until = now_s() + 15;
	while (gw_requests() == 0 && now_s() < until)
		usleep(50 * 1000);
	cr_assert_eq(gw_requests(), 1);
	double t0 = now_s();
	srv_stop(&s);
	double took = now_s() - t0;
	cr_expect(took < 8, "stopping took %.1f s with a gateway that times out (2 s each)", took);
	const char *p[] = { S64(first), S64(first + 9) };
	cr_expect_eq(db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE notification_id BETWEEN $1 AND $2"
				" AND claimed_at IS NOT NULL",
			    2, p),
		     0, "rows left claimed");
	cr_expect_eq(db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE notification_id BETWEEN $1 AND $2"
				" AND state = 'pending' AND attempts = 0",
			    2, p),
		     9, "the rest of the batch, not attempted");
	cr_expect_leq(gw_requests(), 2);
}

static bool log_has(const struct srv *s, const char *what)
{
	char *log = srv_log(s);
	bool has = log && strstr(log, what);
	free(log);
	return has;
}

#define LEADER "this process is the sender now"

Test(delivery, two_processes_one_sender)
{
	struct srv a, b;
	serve(&a, NULL, 0);
	serve(&b, NULL, 0);
	double until = now_s() + 10;
	while (!log_has(&a, LEADER) && !log_has(&b, LEADER) && now_s() < until)
		usleep(100 * 1000);
	usleep(2500 * 1000); /* both have tried the lock at least twice */
	cr_assert(log_has(&a, LEADER) != log_has(&b, LEADER), "exactly one process must be the sender");
	struct srv *holder = log_has(&a, LEADER) ? &a : &b, *other = holder == &a ? &b : &a;
	int64_t who = person(true, false, false), first = 0;
	for (int i = 0; i < 20; i++) {
		int64_t n = notice(who);
		first = first ? first : n;
	}
	cr_assert(wait_state(first + 19, "sms", "sent", 20));
	cr_assert(wait_state(first, "sms", "sent", 5));
	cr_expect_eq(gw_requests(), 20);
	srv_stop(holder);
	until = now_s() + 10;
	while (!log_has(other, LEADER) && now_s() < until)
		usleep(100 * 1000);
	cr_assert(log_has(other, LEADER), "the other process did not take over");
	int64_t late = notice(who);
	cr_assert(wait_state(late, "sms", "sent", 20));
	json_t *st = gw("GET", "/_stats", NULL);
	cr_expect_eq(json_integer_value(json_object_get(st, "requests")), 21);
	cr_expect_eq(json_integer_value(json_object_get(st, "distinct")), 21);
	json_decref(st);
	srv_stop(other);
}

/* 1,000 notices by SMS, Zalo and email; the server killed (SIGKILL) while they go out; after a
 * restart each reaches its receiver exactly once by idempotency key, with at most a batch resent. */
Test(delivery, kill_9_with_1000_pending_delivers_each_once, .timeout = 280)
{
	gw_mode("{\"delay_ms\": 2}");
	PQclear(db_exec(PG, "CREATE TEMP TABLE fault_people AS SELECT 0::bigint AS id LIMIT 0", 0, NULL));
	for (int i = 0; i < 100; i++)
		PQclear(db_exec(PG, "INSERT INTO fault_people VALUES ($1)", 1, (const char *[]){ S64(person(true, true, true)) }));
	int64_t lo = db_int(PG, "SELECT coalesce(max(id), 0) + 1 FROM notifications", 0, NULL);
	PQclear(db_exec(PG,
			"SELECT notify(p.id, NULL, 'proposal_received', ($1::jsonb || jsonb_build_object('n', g)), now())"
			" FROM fault_people p, generate_series(1, 10) g",
			1, (const char *[]){ FACTS }));
	int64_t hi = db_int(PG, "SELECT max(id) FROM notifications", 0, NULL);
	cr_assert_eq(hi - lo + 1, 1000);
	const char *range[] = { S64(lo), S64(hi) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE notification_id BETWEEN $1 AND $2",
			    2, range),
		     3000);
	struct srv s;
	serve(&s, NULL, 0);
	double until = now_s() + 120;
	long got = 0;
	while (now_s() < until) {
		json_t *m = mails();
		got = gw_requests() + (long)json_array_size(m);
		json_decref(m);
		if (got >= 900)
			break;
		usleep(20 * 1000);
	}
	kill(s.pid, SIGKILL);
	waitpid(s.pid, NULL, 0);
	long long in_flight = db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE claimed_at IS NOT NULL"
					 " AND state = 'pending' AND notification_id BETWEEN $1 AND $2",
				     2, range);
	long long sent_before = db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE state = 'sent'"
					   " AND notification_id BETWEEN $1 AND $2",
				       2, range);
	cr_assert(got >= 900 && sent_before < 3000, "killed too late: %ld received, %lld sent", got, sent_before);
	double t0 = now_s();
	serve(&s, NULL, 0);
	until = now_s() + 200;
	while (now_s() < until &&
	       db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE state <> 'sent' AND notification_id"
			  " BETWEEN $1 AND $2",
		      2, range) > 0)
		usleep(200 * 1000);
	double took = now_s() - t0;
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM notification_deliveries WHERE state = 'sent' AND notification_id"
				" BETWEEN $1 AND $2",
			    2, range),
		     3000, "not all delivered after the restart");
	/* at the receivers: every key of the 2,000 gateway deliveries and the 1,000 mails, each once */
	json_t *st = gw("GET", "/_stats", NULL), *keys = json_object_get(st, "keys");
	long raw_gw = (long)json_integer_value(json_object_get(st, "requests")), missing = 0;
	for (int64_t n = lo; n <= hi; n++)
		for (int c = 0; c < 2; c++)
			if (json_array_size(json_object_get(keys, key_of(n, c ? "zalo" : "sms"))) == 0)
				missing++;
	long distinct_gw = (long)json_object_size(keys);
	cr_expect_eq(json_integer_value(json_object_get(st, "bad_signatures")), 0);
	json_decref(st);
	json_t *m = mails(), *ids = json_object();
	for (size_t i = 0; i < json_array_size(m); i++)
		json_object_set_new(ids, json_string_value(json_object_get(json_array_get(m, i), "message_id")),
				    json_true());
	long raw_mail = (long)json_array_size(m), distinct_mail = (long)json_object_size(ids);
	json_decref(m);
	json_decref(ids);
	long resent = (raw_gw - distinct_gw) + (raw_mail - distinct_mail);
	fprintf(stderr,
		"fault test: killed after %ld received (%lld recorded sent, %lld in flight); restart delivered the rest in"
		" %.1f s; gateway %ld requests for %ld keys, SMTP %ld mails for %ld Message-IDs: %ld raw resends,"
		" 0 duplicates after deduplication by key\n",
		got, sent_before, in_flight, took, raw_gw, distinct_gw, raw_mail, distinct_mail, resent);
	cr_expect_eq(missing, 0, "keys never received: %ld", missing);
	cr_expect_eq(distinct_gw, 2000);
	cr_expect_eq(distinct_mail, 1000);
	cr_expect(resent <= in_flight, "resent %ld, but only %lld were in flight", resent, in_flight);
	srv_stop(&s);
}

/* One test at a time, in a database of the suite's own (see the top of the file). */
int main(int argc, char *argv[])
{
	const char *url = getenv("SANGKIEN_TEST_DATABASE_URL");
	if (url == NULL) {
		fprintf(stderr, "SANGKIEN_TEST_DATABASE_URL is not set (run scripts/test)\n");
		return 1;
	}
	delivery_url(url);
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(pg));
		return 1;
	}
	PGconn *probe = PQconnectdb(DURL);
	char dbname[128];
	snprintf(dbname, sizeof dbname, "%s", PQdb(probe));
	PQfinish(probe);
	char sql[300];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", dbname);
	PQclear(PQexec(pg, sql));
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", dbname);
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s", PQerrorMessage(pg));
		return 1;
	}
	PQclear(r);
	PQfinish(pg);
	/* the schema, before any test writes people and notices */
	const char *bin = getenv("SANGKIEN_BIN") ? getenv("SANGKIEN_BIN") : "build-test/sangkien";
	const char *src = getenv("SANGKIEN_SRC") ? getenv("SANGKIEN_SRC") : ".";
	char cmd[3000];
	snprintf(cmd, sizeof cmd, "'%s' --database-url '%s' --sql-dir '%s/sql' migrate", bin, DURL, src);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot migrate %s\n", dbname);
		return 1;
	}
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	criterion_options.jobs = 1;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
