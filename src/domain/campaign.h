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

/* True when title, description and rules may still change: until the call is decided. */
bool sk_campaign_text_editable(enum sk_campaign_state s);

/* True when a change of the texts is kept as a public revision: editable and no longer a draft. */
bool sk_campaign_text_revised(enum sk_campaign_state s);

/* The latest deadline an extension may set, counted from now: 366 days. */
#define SK_EXTENSION_MAX_AHEAD ((int64_t)366 * 24 * 3600)

enum sk_extension_verdict {
	SK_EXTENSION_OK = 0,
	SK_EXTENSION_NOT_OPEN, /* only an open call's deadline moves (a closed call does not reopen) */
	SK_EXTENSION_NOT_LATER, /* the new deadline must be later than the current one */
	SK_EXTENSION_PAST,      /* ... and later than now */
	SK_EXTENSION_TOO_FAR,   /* ... and at most SK_EXTENSION_MAX_AHEAD after now */
};

/*
 * Whether the deadline closes_at of a call in state s may become new_closes_at at time now (Unix
 * seconds). An extension only ever gives residents more time, never less.
 */
enum sk_extension_verdict sk_campaign_extension(enum sk_campaign_state s, int64_t now, int64_t closes_at,
						int64_t new_closes_at);

#endif
