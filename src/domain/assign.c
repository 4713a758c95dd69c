#include "domain/assign.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64: a small, well-mixed generator; the same seed gives the same sequence everywhere. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct order_ctx {
	const size_t *eligible;
	const uint64_t *tiebreak;
};

static struct order_ctx sort_ctx; /* qsort has no context argument in C17 */

static int by_scarcity(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (sort_ctx.eligible[x] != sort_ctx.eligible[y])
		return sort_ctx.eligible[x] < sort_ctx.eligible[y] ? -1 : 1;
	if (sort_ctx.tiebreak[x] != sort_ctx.tiebreak[y])
		return sort_ctx.tiebreak[x] < sort_ctx.tiebreak[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void loads_range(const struct sk_assign_problem *p, struct sk_assign_result *r)
{
	r->min_load = (size_t)-1;
	r->max_load = 0;
	for (size_t j = 0; j < p->npanelists; j++) {
		if (r->load[j] < r->min_load)
			r->min_load = r->load[j];
		if (r->load[j] > r->max_load)
			r->max_load = r->load[j];
	}
	if (p->npanelists == 0)
		r->min_load = 0;
}

bool sk_assign(const struct sk_assign_problem *p, struct sk_assign_result *out)
{
	size_t P = p->nproposals, N = p->npanelists;
	memset(out, 0, sizeof *out);
	out->assigned = calloc(P * N + 1, sizeof *out->assigned);
	out->load = calloc(N + 1, sizeof *out->load);
	out->uncovered = calloc(P + 1, sizeof *out->uncovered);
	size_t *eligible = calloc(P + 1, sizeof *eligible), *order = calloc(P + 1, sizeof *order);
	uint64_t *tiebreak = calloc((P > N ? P : N) + 1, sizeof *tiebreak);
	uint64_t *ptie = calloc(N + 1, sizeof *ptie);
	if (!out->assigned || !out->load || !out->uncovered || !eligible || !order || !tiebreak || !ptie) {
		free(eligible);
		free(order);
		free(tiebreak);
		free(ptie);
		sk_assign_result_free(out);
		return false;
	}
	uint64_t state = p->seed;
	for (size_t i = 0; i < P; i++) {
		order[i] = i;
		tiebreak[i] = next_random(&state);
		for (size_t j = 0; j < N; j++)
			eligible[i] += !p->conflict[i * N + j];
	}
	for (size_t j = 0; j < N; j++)
		ptie[j] = next_random(&state);
	/* Most constrained proposals first, so that scarce panelists go where they are needed. */
	sort_ctx = (struct order_ctx){ eligible, tiebreak };
	qsort(order, P, sizeof *order, by_scarcity);

	for (size_t o = 0; o < P; o++) {
		size_t i = order[o];
		size_t want = p->k < eligible[i] ? p->k : eligible[i];
		if (eligible[i] < p->k)
			out->uncovered[out->nuncovered++] = i;
		for (size_t taken = 0; taken < want; taken++) {
			size_t best = N;
			for (size_t j = 0; j < N; j++) {
				if (p->conflict[i * N + j] || out->assigned[i * N + j])
					continue;
				if (best == N || out->load[j] < out->load[best] ||
				    (out->load[j] == out->load[best] && ptie[j] < ptie[best]))
					best = j;
			}
			out->assigned[i * N + best] = true;
			out->load[best]++;
		}
	}
	/* Even out: move one review from a heaviest to a lightest panelist while one can be moved. */
	for (;;) {
		loads_range(p, out);
		if (out->max_load - out->min_load <= 1)
			break;
		bool moved = false;
		for (size_t hi = 0; hi < N && !moved; hi++) {
			if (out->load[hi] != out->max_load)
				continue;
			for (size_t lo = 0; lo < N && !moved; lo++) {
				if (out->load[lo] + 1 >= out->load[hi])
					continue;
				for (size_t i = 0; i < P; i++) {
					if (out->assigned[i * N + hi] && !out->assigned[i * N + lo] && !p->conflict[i * N + lo]) {
						out->assigned[i * N + hi] = false;
						out->assigned[i * N + lo] = true;
						out->load[hi]--;
						out->load[lo]++;
						moved = true;
						break;
					}
				}
			}
		}
		if (!moved)
			break; /* the conflicts allow no better balance */
	}
	loads_range(p, out);
	free(eligible);
	free(order);
	free(tiebreak);
	free(ptie);
	return true;
}

void sk_assign_result_free(struct sk_assign_result *r)
{
	free(r->assigned);
	free(r->load);
	free(r->uncovered);
	memset(r, 0, sizeof *r);
}
