#include "domain/campaign.h"

#include <stddef.h>
#include <string.h>

static const char *const names[] = {
	[SK_CAMPAIGN_DRAFT] = "draft",         [SK_CAMPAIGN_OPEN] = "open",
	[SK_CAMPAIGN_CLOSED] = "closed",       [SK_CAMPAIGN_APPRAISAL] = "appraisal",
	[SK_CAMPAIGN_DECIDED] = "decided",     [SK_CAMPAIGN_PUBLISHED] = "published",
};

const char *sk_campaign_state_name(enum sk_campaign_state s)
{
	if (s <= SK_CAMPAIGN_INVALID || s > SK_CAMPAIGN_PUBLISHED)
		return NULL;
	return names[s];
}

enum sk_campaign_state sk_campaign_state_parse(const char *s)
{
	if (s == NULL)
		return SK_CAMPAIGN_INVALID;
	for (int i = SK_CAMPAIGN_DRAFT; i <= SK_CAMPAIGN_PUBLISHED; i++)
		if (!strcmp(s, names[i]))
			return (enum sk_campaign_state)i;
	return SK_CAMPAIGN_INVALID;
}

enum sk_transition_verdict sk_campaign_transition(enum sk_campaign_state from, enum sk_campaign_state to,
						  int64_t now, int64_t closes_at)
{
	if (from == SK_CAMPAIGN_INVALID || to == SK_CAMPAIGN_INVALID || from == SK_CAMPAIGN_PUBLISHED ||
	    to != from + 1)
		return SK_TRANSITION_ILLEGAL;
	if (to == SK_CAMPAIGN_CLOSED && now < closes_at)
		return SK_TRANSITION_TOO_EARLY;
	return SK_TRANSITION_OK;
}

bool sk_campaign_accepting(enum sk_campaign_state s, int64_t now, int64_t opens_at, int64_t closes_at)
{
	return s == SK_CAMPAIGN_OPEN && now >= opens_at && now < closes_at;
}

bool sk_campaign_config_editable(enum sk_campaign_state s)
{
	return s == SK_CAMPAIGN_DRAFT;
}

bool sk_campaign_text_editable(enum sk_campaign_state s)
{
	return s >= SK_CAMPAIGN_DRAFT && s <= SK_CAMPAIGN_APPRAISAL;
}

bool sk_campaign_text_revised(enum sk_campaign_state s)
{
	return s != SK_CAMPAIGN_DRAFT && sk_campaign_text_editable(s);
}

enum sk_extension_verdict sk_campaign_extension(enum sk_campaign_state s, int64_t now, int64_t closes_at,
						int64_t new_closes_at)
{
	if (s != SK_CAMPAIGN_OPEN)
		return SK_EXTENSION_NOT_OPEN;
	if (new_closes_at <= closes_at)
		return SK_EXTENSION_NOT_LATER;
	if (new_closes_at <= now)
		return SK_EXTENSION_PAST;
	if (new_closes_at > now + SK_EXTENSION_MAX_AHEAD)
		return SK_EXTENSION_TOO_FAR;
	return SK_EXTENSION_OK;
}
