/* One line per event on stderr. Never pass passwords, tokens or phone numbers. */
#ifndef SK_LOG_H
#define SK_LOG_H

/* While the server runs, lines are buffered and written by a logging thread every 50 ms
 * (errors at once). sk_log_stop writes out whatever is left. */
void sk_log_start(void);
void sk_log_stop(void);

void sk_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sk_info(...) sk_log("info", __VA_ARGS__)
#define sk_warn(...) sk_log("warn", __VA_ARGS__)
#define sk_error(...) sk_log("error", __VA_ARGS__)

#endif
