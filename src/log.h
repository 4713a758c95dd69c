/* One line per event on stderr. Never pass passwords, tokens or phone numbers. */
#ifndef SK_LOG_H
#define SK_LOG_H

/* While the server runs, lines are buffered and written by a logging thread every 50 ms
 * (errors at once). sk_log_stop writes out whatever is left. */
void sk_log_start(void);
void sk_log_stop(void);

void sk_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Database outages, logged once when they start and once when they end instead of once per
 * refused request. sk_log_db_refused: a request was answered 503 because the database could not
 * be reached; the first one of an outage writes an error line. sk_log_db_answered: a request was
 * served with the database; when requests were refused since the last one, it writes a line with
 * how long the outage lasted and how many requests were refused. Both are thread-safe, and
 * sk_log_db_answered costs one atomic read when no outage is under way.
 */
void sk_log_db_refused(const char *request_id);
void sk_log_db_answered(void);

#define sk_info(...) sk_log("info", __VA_ARGS__)
#define sk_warn(...) sk_log("warn", __VA_ARGS__)
#define sk_error(...) sk_log("error", __VA_ARGS__)

#endif
