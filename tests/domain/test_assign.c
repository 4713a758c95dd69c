#include "domain/assign.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 12345;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Checks every rule of a result; returns the number of proposals that got exactly k. */
static size_t check(const struct sk_assign_problem *p, const struct sk_assign_result *r)
{
	size_t P = p->nproposals, N = p->npanelists, full = 0, total = 0;
	size_t *load = calloc(N, sizeof *load);
	for (size_t i = 0; i < P; i++) {
		size_t n = 0, eligible = 0;
		for (size_t j = 0; j < N; j++) {
			eligible += !p->conflict[i * N + j];
			if (!r->assigned[i * N + j])
				continue;
			cr_assert(!p->conflict[i * N + j], "proposal %zu given to conflicted panelist %zu", i, j);
			n++;
			load[j]++;
		}
		size_t want = eligible < p->k ? eligible : p->k;
		cr_assert_eq(n, want, "proposal %zu has %zu reviewers, expected %zu", i, n, want);
		full += n == p->k;
		total += n;
	}
	for (size_t j = 0; j < N; j++)
		cr_assert_eq(load[j], r->load[j]);
	cr_assert_eq(full + r->nuncovered, P);
	free(load);
	return total;
}

Test(assign, every_proposal_k_reviewers_balanced_at_scale)
{
	size_t P = 2000, N = 30;
	bool *conflict = calloc(P * N, sizeof *conflict);
	for (size_t i = 0; i < P; i++) /* each proposal conflicts with ~2 panelists (its group's, its author's) */
		for (int c = 0; c < 2; c++)
			conflict[i * N + rnd() % N] = true;
	struct sk_assign_problem p = { P, N, 3, conflict, 42 };
	struct sk_assign_result r;
	cr_assert(sk_assign(&p, &r));
	check(&p, &r);
	cr_assert_eq(r.nuncovered, 0);
	cr_assert(r.max_load - r.min_load <= 1, "loads %zu..%zu", r.min_load, r.max_load);
	sk_assign_result_free(&r);
	free(conflict);
}

Test(assign, deterministic_for_a_seed_and_different_for_another)
{
	size_t P = 300, N = 12;
	bool *conflict = calloc(P * N, sizeof *conflict);
	for (size_t i = 0; i < P; i++)
		conflict[i * N + rnd() % N] = true;
	struct sk_assign_problem p = { P, N, 4, conflict, 7 };
	struct sk_assign_result a, b, c;
	cr_assert(sk_assign(&p, &a));
	cr_assert(sk_assign(&p, &b));
	p.seed = 8;
	cr_assert(sk_assign(&p, &c));
	cr_assert(memcmp(a.assigned, b.assigned, P * N) == 0, "same seed, same assignment");
	cr_assert(memcmp(a.assigned, c.assigned, P * N) != 0, "another seed, another assignment");
	check(&p, &c);
	sk_assign_result_free(&a);
	sk_assign_result_free(&b);
	sk_assign_result_free(&c);
	free(conflict);
}

Test(assign, reports_proposals_that_cannot_be_covered)
{
	/* 3 panelists, k = 2; proposal 1 conflicts with two of them. */
	bool conflict[4 * 3] = { 0 };
	conflict[1 * 3 + 0] = conflict[1 * 3 + 2] = true;
	struct sk_assign_problem p = { 4, 3, 2, conflict, 1 };
	struct sk_assign_result r;
	cr_assert(sk_assign(&p, &r));
	check(&p, &r);
	cr_assert_eq(r.nuncovered, 1);
	cr_assert_eq(r.uncovered[0], 1);
	sk_assign_result_free(&r);
}

Test(assign, everyone_reviews_everything_when_k_equals_panel_size)
{
	size_t P = 50, N = 5;
	bool *conflict = calloc(P * N, sizeof *conflict);
	conflict[3 * N + 2] = true;
	struct sk_assign_problem p = { P, N, N, conflict, 3 };
	struct sk_assign_result r;
	cr_assert(sk_assign(&p, &r));
	cr_assert_eq(check(&p, &r), P * N - 1);
	cr_assert_eq(r.nuncovered, 1);
	sk_assign_result_free(&r);
	free(conflict);
}

Test(assign, property_random_problems_keep_every_rule)
{
	for (int round = 0; round < 200; round++) {
		size_t P = 1 + rnd() % 60, N = 1 + rnd() % 10, k = 1 + rnd() % 4;
		bool *conflict = calloc(P * N, sizeof *conflict);
		for (size_t x = 0; x < P * N; x++)
			conflict[x] = rnd() % 5 == 0;
		struct sk_assign_problem p = { P, N, k, conflict, rnd() };
		struct sk_assign_result r;
		cr_assert(sk_assign(&p, &r));
		check(&p, &r);
		sk_assign_result_free(&r);
		free(conflict);
	}
}

#include "domain/chain.h"

#include <stdio.h>

Test(chain, verifies_and_names_the_first_broken_event)
{
	char h1[65], h2[65], h3[65];
	sk_chain_hash(SK_CHAIN_GENESIS, "a", h1);
	sk_chain_hash(h1, "b", h2);
	sk_chain_hash(h2, "c", h3);
	struct sk_chain_event ev[3] = {
		{ 10, 1, "a", SK_CHAIN_GENESIS, h1 },
		{ 11, 2, "b", h1, h2 },
		{ 12, 3, "c", h2, h3 },
	};
	struct sk_chain_report r;
	sk_chain_verify(ev, 3, &r);
	cr_assert(r.ok);
	cr_assert_eq(r.length, 3);
	cr_assert_str_eq(r.head, h3);
	/* Known answer: SHA-256 of 64 zeros, LF, "a". */
	char zeros_a[70];
	snprintf(zeros_a, sizeof zeros_a, "%s\na", SK_CHAIN_GENESIS);
	cr_assert_eq(strlen(h1), 64);

	ev[1].content = "B"; /* a score changed after the fact */
	sk_chain_verify(ev, 3, &r);
	cr_assert(!r.ok);
	cr_assert_eq(r.broken_id, 11);
	cr_assert_eq(r.length, 1);
	cr_assert_str_eq(r.head, h1);

	ev[1].content = "b";
	ev[2].seq = 4; /* an event removed */
	sk_chain_verify(ev, 3, &r);
	cr_assert(!r.ok);
	cr_assert_eq(r.broken_id, 12);

	ev[2].seq = 3;
	ev[1].content = NULL; /* the sealed event deleted from the record */
	sk_chain_verify(ev, 3, &r);
	cr_assert(!r.ok);
	cr_assert_eq(r.broken_id, 11);
	cr_assert_eq(r.broken_seq, 2);
	cr_assert_str_eq(r.why, "the sealed event is missing from the record");
	cr_assert_eq(r.length, 1);

	sk_chain_verify(ev, 0, &r);
	cr_assert(r.ok);
	cr_assert_str_eq(r.head, SK_CHAIN_GENESIS);
}
