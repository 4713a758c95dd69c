/*
 * The published results of a call as plain data, for the documents rendered from them (minutes.c,
 * xlsx.c): no HTTP, SQL or JSON here. Every string is UTF-8 and owned by whoever filled the struct.
 */
#ifndef SK_RENDER_RESULTS_DOC_H
#define SK_RENDER_RESULTS_DOC_H

#include <stdbool.h>
#include <stddef.h>

struct sk_doc_entry {
	long rank;
	const char *tracking_code, *title, *group_name;
	const char *award;  /* NULL: no award */
	const char *reason; /* NULL: none given (the award follows the ranking) */
	bool has_score, has_interval, tied_with_next;
	double score, low, high;
	long reviews;
	const double *criterion_raw;        /* ncriteria values (NaN: none) */
	const double *criterion_normalised; /* ncriteria values (NaN: none) */
};

struct sk_doc_results {
	const char *ward_name, *campaign_title;
	const char *method;       /* "raw" or "normalised" */
	const char *decided_at, *published_at; /* ISO 8601 */
	const char *config_digest, *score_record_head, *inputs_digest; /* NULL: not recorded */
	const char *correction_reason; /* NULL: the first version */
	long version, reviews, panelists;
	bool tie_warning;
	size_t ncriteria;
	const char *const *criteria; /* names */
	size_t nentries;
	const struct sk_doc_entry *entries; /* in ranking order */
};

/* The two sentences that name the ranking method, in Vietnamese. */
const char *sk_doc_method_text(const char *method);

#endif
