#include "domain/notify_schedule.h"

#include <stdio.h>
#include <string.h>

int64_t sk_retry_delay(int attempts, int64_t base_s, int64_t max_s, uint32_t jitter)
{
	if (base_s < 1)
		base_s = 1;
	if (max_s < base_s)
		max_s = base_s;
	int64_t d = base_s;
	for (int i = 1; i < attempts && d < max_s; i++)
		d *= 2;
	if (d > max_s)
		d = max_s;
	int64_t half = d / 2;
	int64_t span = d - half; /* [half, d] */
	int64_t out = half + (int64_t)(jitter % (uint32_t)(span + 1));
	return out < 1 ? 1 : out;
}

static bool hhmm(const char *s, size_t len, int *min)
{
	if (len != 5 || s[2] != ':')
		return false;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return false;
	*min = h * 60 + m;
	return true;
}

bool sk_quiet_hours_parse(const char *s, int *start_min, int *end_min)
{
	*start_min = *end_min = -1;
	if (s == NULL || *s == '\0')
		return true;
	const char *dash = strchr(s, '-');
	if (dash == NULL)
		return false;
	int a, b;
	if (!hhmm(s, (size_t)(dash - s), &a) || !hhmm(dash + 1, strlen(dash + 1), &b) || a == b)
		return false;
	*start_min = a;
	*end_min = b;
	return true;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t sk_local_midnight(int64_t now)
{
	return floor_div(now + SK_LOCAL_UTC_OFFSET, 86400) * 86400 - SK_LOCAL_UTC_OFFSET;
}

int64_t sk_next_local_midnight(int64_t now)
{
	return sk_local_midnight(now) + 86400;
}

int64_t sk_quiet_until(int64_t now, int start_min, int end_min)
{
	if (start_min < 0 || end_min < 0 || start_min == end_min)
		return 0;
	int64_t day = sk_local_midnight(now);
	int64_t minute = (now - day) / 60;
	if (start_min < end_min) /* within one day, e.g. 12:00-13:30 */
		return minute >= start_min && minute < end_min ? day + (int64_t)end_min * 60 : 0;
	if (minute >= start_min) /* evening part: ends tomorrow */
		return day + 86400 + (int64_t)end_min * 60;
	if (minute < end_min) /* morning part: ends today */
		return day + (int64_t)end_min * 60;
	return 0;
}
