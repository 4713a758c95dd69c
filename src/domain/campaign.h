/* The life of a campaign (call for proposals): draft → open → closed → appraisal → decided → published. */
#ifndef SK_DOMAIN_CAMPAIGN_H
#define SK_DOMAIN_CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>

enum sk_campaign_state {
	SK_CAMPAIGN_INVALID = 0,
	SK_CAMPAIGN_DRAFT,
	SK_CAMPAIGN_OPEN,
	SK_CAMPAIGN_CLOSED,
	SK_CAMPAIGN_APPRAISAL,
	SK_CAMPAIGN_DECIDED,
	SK_CAMPAIGN_PUBLISHED,
};

enum sk_transition_verdict {
	SK_TRANSITION_OK = 0,
	SK_TRANSITION_ILLEGAL,      /* not the next state */
	SK_TRANSITION_TOO_EARLY,    /* closing before closes_at */
};

const char *sk_campaign_state_name(enum sk_campaign_state s);
enum sk_campaign_state sk_campaign_state_parse(const char *s);

/*
 * Whether a campaign in `from` may move to `to` at time now (Unix seconds),
 * given its deadline. Only one step forward at a time; closing needs the
 * deadline to have passed so that nobody loses time they were promised.
 */
enum sk_transition_verdict sk_campaign_transition(enum sk_campaign_state from, enum sk_campaign_state to,
						  int64_t now, int64_t closes_at);

/* True when proposals may be submitted, edited or withdrawn: open and opens_at <= now < closes_at. */
bool sk_campaign_accepting(enum sk_campaign_state s, int64_t now, int64_t opens_at, int64_t closes_at);

/* True when criteria, weights, the method, blind mode and dates may still change. */
bool sk_campaign_config_editable(enum sk_campaign_state s);

/* True when title, description and rules may still change (until the call closes). */
bool sk_campaign_text_editable(enum sk_campaign_state s);

#endif
