/* The words of a notice: one title and body per event, language and channel. */
#ifndef SK_NOTIFY_NOTICE_TEXT_H
#define SK_NOTIFY_NOTICE_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* One SMS segment in GSM 7-bit: what the "sms" variant aims to fit. */
#define SK_SMS_SEGMENT 160

/*
 * Renders the notice of event (a notifications.event, e.g. "proposal_received") from its facts
 * (notifications.facts) in lang ("vi", the default for anything else, or "en") for channel
 * "app", "sms", "zalo" or "email" (anything else is "app"). On 0, *title and *body are new NFC
 * UTF-8 strings the caller frees; for "sms" both are ASCII without diacritics, the title is empty
 * and the body fits SK_SMS_SEGMENT characters unless its fixed words alone do not (long titles
 * are shortened with "..."). Returns -1 for an unknown event or when memory runs out (nothing to
 * free then).
 */
int sk_notice_text(const char *event, const char *lang, const char *channel, const json_t *facts, char **title,
		   char **body);

/*
 * The page of the site a notice leads to (a path with its query, e.g. "/track.html?code=HC-…"),
 * from its facts, or NULL when it has none. Static storage is not used: the result is new and
 * the caller frees it.
 */
char *sk_notice_link(const char *event, const json_t *facts);

/* The number of events sk_notice_text knows, and the name of the i-th (for tests and docs). */
size_t sk_notice_event_count(void);
const char *sk_notice_event_name(size_t i);

#endif
