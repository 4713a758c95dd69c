/* When a notice may go out: retry backoff, quiet hours and the local day (pure arithmetic, no I/O). */
#ifndef SK_DOMAIN_NOTIFY_SCHEDULE_H
#define SK_DOMAIN_NOTIFY_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

/* The ward's local time: Asia/Ho_Chi_Minh, UTC+7 without daylight saving time since 1975. */
#define SK_LOCAL_UTC_OFFSET (7 * 3600)

/*
 * Seconds to wait before attempt number attempts + 1, after attempts (>= 1) failed ones:
 * base_s * 2^(attempts-1), capped at max_s, then jittered into [half, whole] by jitter (any 32-bit
 * random number). Always >= 1.
 */
int64_t sk_retry_delay(int attempts, int64_t base_s, int64_t max_s, uint32_t jitter);

/*
 * Parses quiet hours "HH:MM-HH:MM" (local time; the span may cross midnight, e.g. "21:00-07:00")
 * into minutes after local midnight. "" means none (both -1). False on anything else, or when
 * start equals end.
 */
bool sk_quiet_hours_parse(const char *s, int *start_min, int *end_min);

/*
 * When quiet hours [start_min, end_min) hold at Unix time now: the Unix time they end. 0 when they
 * do not hold now, or when there are none (start_min < 0).
 */
int64_t sk_quiet_until(int64_t now, int start_min, int end_min);

/* The Unix time of the local midnight that starts the day after the one holding now. */
int64_t sk_next_local_midnight(int64_t now);

/* The Unix time of the local midnight that started the day holding now. */
int64_t sk_local_midnight(int64_t now);

#endif
