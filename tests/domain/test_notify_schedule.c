#include "domain/notify_schedule.h"

#include <criterion/criterion.h>

/* 2026-12-08 00:00 in Asia/Ho_Chi_Minh = 2026-12-07 17:00 UTC. */
#define DAY 1796662800LL

Test(notify_schedule, local_midnight)
{
	cr_expect_eq(sk_local_midnight(DAY), DAY);
	cr_expect_eq(sk_local_midnight(DAY + 86399), DAY);
	cr_expect_eq(sk_local_midnight(DAY - 1), DAY - 86400);
	cr_expect_eq(sk_next_local_midnight(DAY + 5), DAY + 86400);
}

Test(notify_schedule, quiet_hours_parse)
{
	int a, b;
	cr_expect(sk_quiet_hours_parse("21:00-07:00", &a, &b));
	cr_expect_eq(a, 21 * 60);
	cr_expect_eq(b, 7 * 60);
	cr_expect(sk_quiet_hours_parse("", &a, &b));
	cr_expect_eq(a, -1);
	cr_expect(!sk_quiet_hours_parse("21:00", &a, &b));
	cr_expect(!sk_quiet_hours_parse("24:00-07:00", &a, &b));
	cr_expect(!sk_quiet_hours_parse("21:00-21:00", &a, &b));
	cr_expect(!sk_quiet_hours_parse("9:00-17:00", &a, &b));
	cr_expect(!sk_quiet_hours_parse("21:00-07:0x", &a, &b));
}

Test(notify_schedule, quiet_across_midnight)
{
	int a = 21 * 60, b = 7 * 60;
	cr_expect_eq(sk_quiet_until(DAY + 20 * 3600 + 3599, a, b), 0);             /* 20:59:59 */
	cr_expect_eq(sk_quiet_until(DAY + 21 * 3600, a, b), DAY + 86400 + 7 * 3600); /* 21:00 → 07:00 tomorrow */
	cr_expect_eq(sk_quiet_until(DAY + 3 * 3600, a, b), DAY + 7 * 3600);         /* 03:00 → 07:00 today */
	cr_expect_eq(sk_quiet_until(DAY + 7 * 3600, a, b), 0);                     /* 07:00 is day */
	cr_expect_eq(sk_quiet_until(DAY + 3 * 3600, -1, -1), 0);
}

Test(notify_schedule, quiet_within_a_day)
{
	int a = 12 * 60, b = 13 * 60 + 30;
	cr_expect_eq(sk_quiet_until(DAY + 12 * 3600 + 60, a, b), DAY + 13 * 3600 + 1800);
	cr_expect_eq(sk_quiet_until(DAY + 14 * 3600, a, b), 0);
	cr_expect_eq(sk_quiet_until(DAY + 11 * 3600, a, b), 0);
}

Test(notify_schedule, retry_delay_doubles_with_jitter_and_cap)
{
	for (uint32_t j = 0; j < 1000; j += 7) {
		int64_t d1 = sk_retry_delay(1, 60, 3600, j), d3 = sk_retry_delay(3, 60, 3600, j);
		cr_expect(d1 >= 30 && d1 <= 60, "%lld", (long long)d1);
		cr_expect(d3 >= 120 && d3 <= 240, "%lld", (long long)d3);
		int64_t big = sk_retry_delay(40, 60, 3600, j);
		cr_expect(big >= 1800 && big <= 3600, "%lld", (long long)big);
	}
	cr_expect_eq(sk_retry_delay(1, 1, 3600, 0), 1);
	cr_expect_eq(sk_retry_delay(1, 0, 0, 12345), 1);
	cr_expect_eq(sk_retry_delay(2, 60, 3600, 0), 60);
	cr_expect_eq(sk_retry_delay(2, 60, 3600, 60), 120);
}
