/* Times as people and APIs write them. */
#ifndef SK_DOMAIN_TIMEFMT_H
#define SK_DOMAIN_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses an ISO-8601 date-time with an explicit offset: "2026-12-01T17:00:00+07:00",
 * "2026-12-01T10:00Z", "2026-12-01 17:00:00+0700". Seconds and fractions are
 * optional (fractions are dropped). Sets *out to Unix seconds. False when the
 * text is not such a time or names an impossible date.
 */
bool sk_time_parse_iso(const char *s, int64_t *out);

/*
 * Parses a calendar date "2026-12-01" (exactly YYYY-MM-DD, a real date, years 1970..9999). Sets *days
 * to days since 1970-01-01. False otherwise.
 */
bool sk_date_parse(const char *s, int64_t *days);

#endif
