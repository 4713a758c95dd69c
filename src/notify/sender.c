#include "notify/sender.h"

#include "db/db.h"
#include "db/deliveries.h"
#include "db/leader_lock.h"
#include "domain/notify_schedule.h"
#include "log.h"
#include "notify/message.h"
#include "notify/notice_text.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows claimed at a time: a batch is claimed in one statement, then each is sent and recorded. */
#define BATCH 32
/* The longest wait between retries, whatever the attempt. */
#define RETRY_MAX_S 3600
/* How often an idle sender looks for due rows (milliseconds); the lock is looked at once a second. */
#define POLL_MS 500

struct sk_sender {
	const struct sk_config *cfg;
	struct sk_db *db;        /* a pool of one connection: the sender's work */
	struct sk_singleton *lock_holder; /* the advisory lock "notification-sender" (src/db/leader_lock.c) */
	bool leader, reclaim;
	int64_t expired_at; /* when overdue rows were last given up */
	unsigned char secret[512];
	size_t secret_len;
	char *smtp_password;
	CURL *http, *smtp;
	char channels[32], loud[32]; /* text arrays: every configured channel; those quiet hours hold back */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	pthread_t thread;
};

enum outcome { SENT, RETRY, REJECTED };

struct result {
	enum outcome outcome;
	int status;          /* HTTP or SMTP reply code, 0 when none came */
	int64_t retry_after; /* seconds the receiver asked to wait (429), 0: none */
	char detail[256];
};

/* Reads a secret file: its bytes without trailing white space. False when unreadable or empty. */
static bool read_secret(const char *path, unsigned char *out, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	size_t n = fread(out, 1, cap, f);
	bool whole = feof(f) && !ferror(f);
	fclose(f);
	while (n > 0 && isspace(out[n - 1]))
		n--;
	*len = n;
	return whole && n > 0;
}

/* ---- the lock ---------------------------------------------------------------------------- */

/* Whether this process is the sender now (the singleton looks at most once a second); logs
 * each change, and on becoming the sender marks what a dead sender left in flight for release. */
static bool leader_check(struct sk_sender *s)
{
	bool held = sk_singleton_acquire(s->lock_holder);
	if (held && !s->leader) {
		sk_info("notices: this process is the sender now (channels %s)", s->channels);
		s->reclaim = true; /* what a dead sender left in flight goes again, once */
	} else if (!held && s->leader) {
		sk_warn("notices: this process lost the sender's lock; another process will send");
	}
	s->leader = held;
	return held;
}

/* ---- sending ----------------------------------------------------------------------------- */

struct reply_capture {
	char text[200];
	size_t len;
	int64_t retry_after;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply_capture *r = arg;
	size_t len = size * n;
	for (size_t i = 0; i < len && r->len + 1 < sizeof r->text; i++)
		r->text[r->len++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : ' ';
	r->text[r->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply_capture *r = arg;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		long v = strtol(p + 12, NULL, 10);
		if (v > 0 && v <= 86400)
			r->retry_after = v;
	}
	return len;
}

/* POSTs a signed JSON body to a gateway; 2xx sent, 429 and 5xx retry, other 4xx rejected, no
 * reply (timeout, refused, closed) retry. */
static void gateway_send(struct sk_sender *s, const char *url, const char *key, const char *body,
			 struct result *out)
{
	int64_t ts = (int64_t)time(NULL);
	char sig[72], h_sig[100], h_ts[64], h_key[300];
	sk_gateway_sign(s->secret, s->secret_len, ts, body, strlen(body), sig);
	snprintf(h_sig, sizeof h_sig, "X-Sangkien-Signature: %s", sig);
	snprintf(h_ts, sizeof h_ts, "X-Sangkien-Timestamp: %lld", (long long)ts);
	snprintf(h_key, sizeof h_key, "Idempotency-Key: %s", key);
	struct curl_slist *hs = NULL, *t;
	const char *const lines[] = { "Content-Type: application/json; charset=utf-8", h_key, h_ts, h_sig, "Expect:" };
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		t = curl_slist_append(hs, lines[i]);
		if (t == NULL) {
			curl_slist_free_all(hs);
			out->outcome = RETRY;
			snprintf(out->detail, sizeof out->detail, "out of memory");
			return;
		}
		hs = t;
	}
	struct reply_capture rc = { 0 };
	CURL *h = s->http;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sangkien/" SK_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->cfg->notify_timeout * 1000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (s->cfg->notify_timeout < 10 ? s->cfg->notify_timeout : 10) * 1000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rc);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &rc);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hs);
	if (cc != CURLE_OK) {
		out->outcome = RETRY;
		snprintf(out->detail, sizeof out->detail, "%s", curl_easy_strerror(cc));
		return;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	out->status = (int)status;
	out->retry_after = rc.retry_after;
	out->outcome = status >= 200 && status < 300	     ? SENT
		       : status == 429 || status >= 500 || status < 200 ? RETRY
									: REJECTED;
	snprintf(out->detail, sizeof out->detail, "HTTP %ld%s%s", status, rc.len ? ": " : "", rc.text);
}

struct upload {
	const char *data;
	size_t len, at;
};

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t room = size * n, left = u->len - u->at;
	size_t k = left < room ? left : room;
	memcpy(p, u->data + u->at, k);
	u->at += k;
	return k;
}

/* Sends one email over SMTP: 250 sent, a 5xx reply rejected (but for a refused login, which an
 * operator fixes), anything else retry. */
static void smtp_send(struct sk_sender *s, const char *to, const char *message, struct result *out)
{
	char from[300], rcpt[300];
	snprintf(from, sizeof from, "<%s>", s->cfg->smtp_from);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	if (rcpts == NULL) {
		out->outcome = RETRY;
		snprintf(out->detail, sizeof out->detail, "out of memory");
		return;
	}
	struct upload up = { message, strlen(message), 0 };
	CURL *h = s->smtp;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, s->cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->cfg->notify_timeout * 1000L);
	if (s->cfg->smtp_user && *s->cfg->smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->cfg->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->smtp_password);
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* never a password in clear */
	} else {
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(rcpts);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	out->status = (int)code;
	if (cc == CURLE_OK) {
		out->outcome = SENT;
		snprintf(out->detail, sizeof out->detail, "SMTP %ld", code);
		return;
	}
	out->outcome = code >= 500 && code < 600 && cc != CURLE_LOGIN_DENIED ? REJECTED : RETRY;
	snprintf(out->detail, sizeof out->detail, "SMTP %ld: %s", code, curl_easy_strerror(cc));
}

/* The words of a row for its channel, then one send. False (and out->detail) when it cannot be
 * rendered at all (an unknown event, bad facts): rejected, since no retry would help. */
static void send_row(struct sk_sender *s, PGresult *r, int i, int64_t now, struct result *out)
{
	const char *channel = sk_db_str(r, i, "channel"), *event = sk_db_str(r, i, "event");
	const char *address = sk_db_str(r, i, "address"), *key = sk_db_str(r, i, "idempotency_key");
	json_t *facts = json_loads(sk_db_str(r, i, "facts"), 0, NULL);
	char *title = NULL, *body = NULL, *link = NULL, *payload = NULL;
	if (facts == NULL || sk_notice_text(event, sk_db_str(r, i, "lang"), channel, facts, &title, &body) != 0) {
		out->outcome = REJECTED;
		snprintf(out->detail, sizeof out->detail, "cannot render event %s", event);
		goto out;
	}
	char *path = sk_notice_link(event, facts);
	if (path != NULL) {
		size_t n = strlen(s->cfg->public_url) + strlen(path) + 1;
		link = malloc(n);
		if (link != NULL)
			snprintf(link, n, "%s%s", s->cfg->public_url, path);
		free(path);
	}
	if (!strcmp(channel, "email")) {
		size_t n = strlen(body) + (link ? strlen(link) : 0) + 4;
		char *text = malloc(n);
		if (text != NULL) {
			snprintf(text, n, "%s%s%s\n", body, link ? "\n\n" : "", link ? link : "");
			payload = sk_mail_compose(s->cfg->smtp_from, address, title, text, key, now);
			free(text);
		}
		if (payload == NULL) {
			out->outcome = REJECTED;
			snprintf(out->detail, sizeof out->detail, "cannot compose the email (address unfit?)");
			goto out;
		}
		smtp_send(s, address, payload, out);
	} else {
		payload = sk_gateway_body(channel, key, address, event, sk_db_str(r, i, "lang"), title, body, link, facts,
					  sk_db_i64(r, i, "created_at"));
		if (payload == NULL) {
			out->outcome = RETRY;
			snprintf(out->detail, sizeof out->detail, "out of memory");
			goto out;
		}
		gateway_send(s, !strcmp(channel, "sms") ? s->cfg->sms_gateway_url : s->cfg->zalo_gateway_url, key,
			     payload, out);
	}
out:
	json_decref(facts);
	free(title);
	free(body);
	free(link);
	free(payload);
}

/* Delivers row i of a claim (or postpones it past the daily cap) and records the outcome.
 * False when the record could not be written (the row stays claimed until reclaimed). */
static bool deliver(struct sk_sender *s, struct sk_dbconn *c, PGresult *r, int i)
{
	int64_t id = sk_db_i64(r, i, "id"), now = (int64_t)time(NULL);
	const char *channel = sk_db_str(r, i, "channel");
	if (s->cfg->notify_daily_cap > 0) {
		int64_t n = 0;
		if (sk_db_deliveries_sent_since(c, channel, sk_db_str(r, i, "address"), sk_local_midnight(now), &n) !=
		    SK_DB_OK)
			return false;
		if (n >= s->cfg->notify_daily_cap) {
			char why[96];
			snprintf(why, sizeof why, "daily cap of %ld reached", s->cfg->notify_daily_cap);
			return sk_db_delivery_record(c, id, "pending", "postponed", 0, why, now,
						     sk_next_local_midnight(now)) == SK_DB_OK;
		}
	}
	struct result res = { .outcome = RETRY };
	send_row(s, r, i, now, &res);
	int64_t done = (int64_t)time(NULL);
	enum sk_db_status st;
	if (res.outcome == SENT) {
		st = sk_db_delivery_record(c, id, "sent", "sent", res.status, res.detail, done, done);
	} else if (res.outcome == REJECTED) {
		sk_warn("notices: delivery %lld (%s) given up, the receiver refused it: %s", (long long)id, channel,
			res.detail);
		st = sk_db_delivery_record(c, id, "failed", "rejected", res.status, res.detail, done, done);
	} else {
		int64_t delay = sk_retry_delay((int)sk_db_i64(r, i, "attempts"), s->cfg->notify_retry_base, RETRY_MAX_S,
					       randombytes_random());
		if (res.retry_after > delay)
			delay = res.retry_after;
		delay += 1; /* times are whole seconds (done is rounded down): wait at least delay */
		if (done + delay >= sk_db_i64(r, i, "give_up_at")) {
			sk_warn("notices: delivery %lld (%s) given up after %lld attempts: %s", (long long)id, channel,
				(long long)sk_db_i64(r, i, "attempts"), res.detail);
			st = sk_db_delivery_record(c, id, "failed", "failed", res.status, res.detail, done, done);
		} else {
			st = sk_db_delivery_record(c, id, "pending", "retry", res.status, res.detail, done, done + delay);
		}
	}
	return st == SK_DB_OK;
}

static bool is_stopping(struct sk_sender *s)
{
	pthread_mutex_lock(&s->lock);
	bool stop = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* One round: give up what is overdue, postpone what quiet hours hold back, claim and deliver a
 * batch. Returns how many rows were claimed (-1 when the database failed). */
static int round_once(struct sk_sender *s)
{
	struct sk_dbconn *c = sk_db_acquire(s->db, 1000);
	if (c == NULL)
		return -1;
	int64_t now = (int64_t)time(NULL), n = 0;
	int claimed = -1;
	PGresult *r = NULL;
	if (s->reclaim) {
		if (sk_db_deliveries_release_claims(c, now, false, &n) != SK_DB_OK)
			goto out;
		if (n > 0)
			sk_info("notices: %lld deliveries were in flight when the last sender stopped: sending them again "
				"with their idempotency keys", (long long)n);
		s->reclaim = false;
	}
	if (now - s->expired_at >= 30) { /* give_up_at is not indexed: look twice a minute, not every round */
		if (sk_db_deliveries_expire(c, now, &n) != SK_DB_OK)
			goto out;
		s->expired_at = now;
	}
	int64_t until = sk_quiet_until(now, s->cfg->quiet_start_min, s->cfg->quiet_end_min);
	const char *channels = s->channels;
	if (until > 0) {
		if (strcmp(s->loud, "{}") != 0 && sk_db_deliveries_postpone_due(c, s->loud, now, until, &n) != SK_DB_OK)
			goto out;
		channels = s->cfg->notify_email ? "{email}" : "{}";
	}
	enum sk_db_status st = sk_db_deliveries_claim(c, channels, now, BATCH, &r);
	if (st == SK_DB_NOROWS) {
		claimed = 0;
		goto out;
	}
	if (st != SK_DB_OK)
		goto out;
	claimed = PQntuples(r);
	for (int i = 0; i < claimed; i++) {
		if (is_stopping(s)) { /* the rest of the batch goes back unsent, for the next sender */
			s->reclaim = true;
			claimed = 0;
			break;
		}
		if (!deliver(s, c, r, i)) {
			s->reclaim = true; /* this process is the only sender: its claims are safe to release */
			claimed = -1;
			break;
		}
	}
	if (s->reclaim && is_stopping(s) && sk_db_deliveries_release_claims(c, (int64_t)time(NULL), true, &n) == SK_DB_OK)
		s->reclaim = false;
out:
	if (claimed < 0)
		sk_warn("notices: the sender's database work failed (will retry): %s", sk_db_last_error(c));
	PQclear(r);
	sk_db_release(s->db, c);
	return claimed;
}

static void *sender_main(void *arg)
{
	struct sk_sender *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->lock);
		long wait_ms = POLL_MS;
		if (leader_check(s)) {
			int claimed = round_once(s);
			wait_ms = claimed == BATCH ? 0 : claimed < 0 ? 2000 : POLL_MS;
		}
		pthread_mutex_lock(&s->lock);
		if (wait_ms == 0 || s->stopping)
			continue;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += wait_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void sender_free(struct sk_sender *s)
{
	if (s->http)
		curl_easy_cleanup(s->http);
	if (s->smtp)
		curl_easy_cleanup(s->smtp);
	sk_singleton_free(s->lock_holder); /* frees the lock for the next process */
	sk_db_free(s->db);
	if (s->smtp_password) {
		sodium_memzero(s->smtp_password, strlen(s->smtp_password));
		free(s->smtp_password);
	}
	sodium_memzero(s->secret, sizeof s->secret);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}

struct sk_sender *sk_sender_start(const struct sk_config *cfg, const char **err)
{
	*err = NULL;
	if (!cfg->notify_sms && !cfg->notify_zalo && !cfg->notify_email)
		return NULL;
	struct sk_sender *s = calloc(1, sizeof *s);
	if (s == NULL) {
		*err = "out of memory";
		return NULL;
	}
	s->cfg = cfg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	snprintf(s->channels, sizeof s->channels, "{%s%s%s}", cfg->notify_sms ? "sms," : "",
		 cfg->notify_zalo ? "zalo," : "", cfg->notify_email ? "email," : "");
	snprintf(s->loud, sizeof s->loud, "{%s%s}", cfg->notify_sms ? "sms," : "", cfg->notify_zalo ? "zalo," : "");
	for (char *a = s->channels; *a; a++) /* drop the last comma */
		if (a[0] == ',' && a[1] == '}')
			memmove(a, a + 1, 2);
	for (char *a = s->loud; *a; a++)
		if (a[0] == ',' && a[1] == '}')
			memmove(a, a + 1, 2);
	if ((cfg->notify_sms || cfg->notify_zalo) &&
	    (!read_secret(cfg->gateway_secret_file, s->secret, sizeof s->secret, &s->secret_len) || s->secret_len < 16)) {
		*err = "--gateway-secret-file cannot be read or holds fewer than 16 bytes";
		goto fail;
	}
	if (cfg->notify_email && cfg->smtp_password_file && *cfg->smtp_password_file) {
		unsigned char pw[512];
		size_t n;
		if (!read_secret(cfg->smtp_password_file, pw, sizeof pw - 1, &n)) {
			*err = "--smtp-password-file cannot be read or is empty";
			goto fail;
		}
		pw[n] = '\0';
		s->smtp_password = strdup((char *)pw);
		sodium_memzero(pw, sizeof pw);
	}
	s->db = sk_db_new(cfg->database_url, 1, cfg->db_role);
	s->lock_holder = sk_singleton_new(cfg->database_url, "notification-sender");
	s->http = curl_easy_init();
	s->smtp = curl_easy_init();
	if (s->db == NULL || s->lock_holder == NULL || s->http == NULL || s->smtp == NULL) {
		*err = "out of memory";
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
		*err = "the sender's thread did not start";
		goto fail;
	}
	return s;
fail:
	sender_free(s);
	return NULL;
}

void sk_sender_stop(struct sk_sender *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	sender_free(s);
}
