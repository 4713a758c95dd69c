/*
 * The ranking engine: from the criteria and the submitted reviews to a ranked,
 * explained list with uncertainty and panel agreement. Pure arithmetic, no I/O.
 * docs/ranking.md defines every formula and works an example by hand.
 */
#ifndef SK_DOMAIN_RANKING_H
#define SK_DOMAIN_RANKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SK_RANK_MAX_CRITERIA 16

enum sk_rank_method { SK_RANK_RAW, SK_RANK_NORMALISED };

struct sk_rank_criterion {
	double weight; /* > 0 */
	int max;       /* scale maximum, >= 1 */
};

struct sk_rank_review {
	size_t proposal; /* index < nproposals */
	size_t panelist; /* index < npanelists */
	const int *scores; /* one per criterion, 0..max */
};

struct sk_rank_input {
	size_t ncriteria, nproposals, npanelists, nreviews;
	const struct sk_rank_criterion *criteria;
	const struct sk_rank_review *reviews;
	const int64_t *proposal_ids; /* for the final tie-break: lower id (earlier) first; may be NULL (index order) */
	enum sk_rank_method method;
};

struct sk_rank_entry {
	size_t proposal;       /* index into the input's proposals */
	size_t rank;           /* 1-based position in the order */
	size_t nreviews;
	double raw, normalised; /* proposal scores on 0..100 (NaN without reviews) */
	double score;           /* the one the method orders by */
	bool has_interval;      /* n >= 2 */
	double lo, hi;          /* 95% Student-t interval of the mean under the method */
	double min_review, max_review; /* of R under the method */
	bool tied_with_next;    /* its interval overlaps the next entry's */
	double *criterion_raw;  /* ncriteria means of s_c/max_c·100 */
	double *criterion_normalised;
};

/* How normalisation (docs/ranking.md, section 3) treats one panelist: their R against the call's. */
struct sk_rank_panelist {
	size_t nreviews;
	double mean, sd; /* μ_p and σ_p (population) of the panelist's R; NaN without reviews */
	bool adjusted;   /* false: fewer than 3 reviews, the values are left as they are */
};

struct sk_rank_result {
	size_t n;                    /* = nproposals */
	size_t npanelists;           /* = the input's npanelists */
	struct sk_rank_panelist *panelists; /* by input panelist index */
	struct sk_rank_entry *entries; /* in rank order */
	double *alpha_criteria;      /* Krippendorff's alpha (interval) per criterion; NaN when undefined */
	double alpha_total;          /* the same for the review score R */
	double mean_all, sd_all;     /* μ and σ of R over all reviews */
};

/*
 * Computes the ranking into *out, which the caller frees with sk_rank_result_free (also after a
 * failure, harmlessly). False only when memory runs out or the input is malformed (an index or a
 * score out of range, no criteria, 2^32 - 1 or more proposals or reviews).
 */
bool sk_rank(const struct sk_rank_input *in, struct sk_rank_result *out);
void sk_rank_result_free(struct sk_rank_result *r);

/*
 * Scratch memory for sk_rank_with, kept between calls: the first call sizes it, later calls of
 * the same size or smaller reuse it without allocating (and without the kernel faulting in and
 * zeroing fresh pages). One workspace serves one thread at a time; it holds nothing of a
 * result, so reusing it across different inputs gives the same results as fresh calls.
 * sk_rank_workspace_new returns NULL when memory runs out.
 */
struct sk_rank_workspace;
struct sk_rank_workspace *sk_rank_workspace_new(void);
void sk_rank_workspace_free(struct sk_rank_workspace *ws);

/* sk_rank with its scratch memory in ws (not NULL). */
bool sk_rank_with(const struct sk_rank_input *in, struct sk_rank_workspace *ws, struct sk_rank_result *out);

/*
 * The criteria, by index, that put entry a above entry b (weighted contribution
 * of each criterion to the difference, under the method), largest first; writes
 * up to max indexes into out and returns how many there are.
 */
size_t sk_rank_explain_pair(const struct sk_rank_input *in, const struct sk_rank_entry *a, const struct sk_rank_entry *b,
			    size_t *out, size_t max);

/* The review score R on 0..100 of one review's scores. */
double sk_rank_review_score(const struct sk_rank_input *in, const int *scores);

/* Krippendorff's alpha, interval metric, for a units × coders matrix with NaN for missing values. */
double sk_krippendorff_interval(const double *values, size_t nunits, size_t ncoders);

/* The p-quantile of Student's t distribution with df degrees of freedom (0 < p < 1, df >= 1). */
double sk_student_t_quantile(double p, double df);

#endif
