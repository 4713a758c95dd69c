/*
 * Assigning reviewers: every proposal gets exactly k panelists it has no
 * conflict with, and panelists' loads stay within one of each other.
 */
#ifndef SK_DOMAIN_ASSIGN_H
#define SK_DOMAIN_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_assign_problem {
	size_t nproposals, npanelists;
	size_t k;               /* reviewers per proposal */
	const bool *conflict;   /* nproposals × npanelists, row-major: true = may not review */
	uint64_t seed;          /* same seed, same problem: same answer */
};

struct sk_assign_result {
	bool *assigned;         /* nproposals × npanelists: true = reviews it (caller frees) */
	size_t *load;           /* per panelist (caller frees) */
	size_t *uncovered;      /* proposals with fewer than k eligible panelists (caller frees) */
	size_t nuncovered;
	size_t min_load, max_load;
};

/*
 * Solves the problem: proposals with fewer than k eligible panelists get all
 * of them and are listed in uncovered; every other proposal gets exactly k.
 * Then moves reviews from the most to the least loaded panelists while that
 * keeps every rule, so that loads end within one of each other whenever the
 * conflicts allow it. Returns false only when memory runs out.
 */
bool sk_assign(const struct sk_assign_problem *p, struct sk_assign_result *out);
void sk_assign_result_free(struct sk_assign_result *r);

#endif
