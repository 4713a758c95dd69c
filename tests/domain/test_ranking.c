#include "domain/ranking.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b, eps) cr_assert(fabs((a) - (b)) < (eps), "%s = %.6f, expected %.6f", #a, (double)(a), (double)(b))

Test(ranking, student_t_quantiles_match_tables)
{
	NEAR(sk_student_t_quantile(0.975, 1), 12.7062047, 1e-6);
	NEAR(sk_student_t_quantile(0.975, 2), 4.3026527, 1e-6);
	NEAR(sk_student_t_quantile(0.975, 4), 2.7764451, 1e-6);
	NEAR(sk_student_t_quantile(0.975, 10), 2.2281389, 1e-6);
	NEAR(sk_student_t_quantile(0.975, 30), 2.0422725, 1e-6);
	NEAR(sk_student_t_quantile(0.025, 10), -2.2281389, 1e-6);
}

Test(ranking, krippendorff_published_example)
{
	/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", reliability data with
	 * missing values: 4 observers x 12 units; interval alpha = 0.849. Units are rows here. */
	const double X = NAN;
	const double data[12][4] = {
		{ 1, 1, X, 1 }, { 2, 2, 3, 2 }, { 3, 3, 3, 3 }, { 3, 3, 3, 3 }, { 2, 2, 2, 2 }, { 1, 2, 3, 4 },
		{ 4, 4, 4, 4 }, { 1, 1, 2, 1 }, { 2, 2, 2, 2 }, { X, 5, 5, 5 }, { X, X, 1, 1 }, { X, 3, X, X },
	};
	NEAR(sk_krippendorff_interval(&data[0][0], 12, 4), 0.849, 0.0005);
}

Test(ranking, krippendorff_perfect_agreement_and_no_variation)
{
	const double agree[3][2] = { { 1, 1 }, { 2, 2 }, { 5, 5 } };
	NEAR(sk_krippendorff_interval(&agree[0][0], 3, 2), 1.0, 1e-12);
	const double flat[2][2] = { { 3, 3 }, { 3, 3 } };
	cr_assert(isnan(sk_krippendorff_interval(&flat[0][0], 2, 2)), "undefined without variation");
}

/* The worked example of docs/ranking.md: one criterion (max 10), 3 panelists x 3 proposals. */
/* panelist A (harsh): 4 5 6, B (lenient): 7 8 9, C: 5 6 7 for proposals 0 1 2 */
static const int ex_scores[9][1] = { { 4 }, { 5 }, { 6 }, { 7 }, { 8 }, { 9 }, { 5 }, { 6 }, { 7 } };
static struct sk_rank_review ex_reviews[9];
static const struct sk_rank_criterion ex_criteria[1] = { { 1.0, 10 } };

static struct sk_rank_input example(enum sk_rank_method m)
{
	for (size_t v = 0; v < 9; v++)
		ex_reviews[v] = (struct sk_rank_review){ v % 3, v / 3, ex_scores[v] };
	return (struct sk_rank_input){ 1, 3, 3, 9, ex_criteria, ex_reviews, NULL, m };
}

Test(ranking, worked_example_raw_and_normalised)
{
	struct sk_rank_input in = example(SK_RANK_NORMALISED);
	struct sk_rank_result r;
	cr_assert(sk_rank(&in, &r));
	/* R: panelist A 40 50 60, B 70 80 90, C 50 60 70; μ = 570/9, σ² = 2000/9; each σ_p² = 200/3. */
	NEAR(r.mean_all, 570.0 / 9, 1e-9);
	NEAR(r.sd_all, sqrt(2000.0 / 9), 1e-9);
	/* Proposal 2 first: raw 220/3, normalised μ + σ·sqrt(3/2) = μ + sqrt(1000/3). */
	cr_assert_eq(r.entries[0].proposal, 2);
	NEAR(r.entries[0].raw, 220.0 / 3, 1e-9);
	NEAR(r.entries[0].normalised, 570.0 / 9 + sqrt(1000.0 / 3), 1e-9);
	NEAR(r.entries[1].normalised, 570.0 / 9, 1e-9);
	NEAR(r.entries[2].normalised, 570.0 / 9 - sqrt(1000.0 / 3), 1e-9);
	NEAR(r.entries[2].raw, 160.0 / 3, 1e-9);
	/* Normalisation removed the panelists' harshness: every review of a proposal agrees, zero width. */
	NEAR(r.entries[0].hi - r.entries[0].lo, 0.0, 1e-9);
	cr_assert(!r.entries[0].tied_with_next);
	sk_rank_result_free(&r);

	in = example(SK_RANK_RAW);
	cr_assert(sk_rank(&in, &r));
	/* Raw: proposal 0 has 40, 70, 50: mean 160/3, s² = 700/3, half-width t(0.975,2)·s/√3. */
	cr_assert_eq(r.entries[2].proposal, 0);
	double half = 4.302652729749464 * sqrt(700.0 / 3) / sqrt(3);
	NEAR(r.entries[2].lo, 160.0 / 3 - half, 1e-6);
	NEAR(r.entries[2].hi, 160.0 / 3 + half, 1e-6);
	NEAR(r.entries[2].min_review, 40, 1e-9);
	NEAR(r.entries[2].max_review, 70, 1e-9);
	cr_assert(r.entries[0].tied_with_next && r.entries[1].tied_with_next, "raw scores cannot separate them");
	/* Panelists agree perfectly on the order but not on the level: alpha well below 1. */
	cr_assert(r.alpha_total < 0.5, "alpha %f", r.alpha_total);
	sk_rank_result_free(&r);
}

Test(ranking, review_score_weights_criteria)
{
	const struct sk_rank_criterion k[2] = { { 2, 10 }, { 1, 5 } };
	struct sk_rank_input in = { 2, 0, 0, 0, k, NULL, NULL, SK_RANK_RAW };
	const int a[2] = { 8, 4 }, b[2] = { 5, 5 };
	NEAR(sk_rank_review_score(&in, a), 80.0, 1e-9);
	NEAR(sk_rank_review_score(&in, b), 100.0 * 2.0 / 3.0, 1e-9);
}

static uint64_t rng = 99;
static int rnd(int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int)(rng % (uint64_t)n);
}

/* A complete design: every panelist reviews every proposal, 3 criteria max 10, scores 2..8. */
struct design {
	size_t P, N;
	int *scores;
	struct sk_rank_review *reviews;
	struct sk_rank_criterion criteria[3];
};

static void design_make(struct design *d, size_t P, size_t N)
{
	d->P = P;
	d->N = N;
	d->scores = malloc(P * N * 3 * sizeof *d->scores);
	d->reviews = malloc(P * N * sizeof *d->reviews);
	for (int c = 0; c < 3; c++)
		d->criteria[c] = (struct sk_rank_criterion){ 1.0 + c, 10 };
	for (size_t i = 0; i < P * N; i++) {
		for (int c = 0; c < 3; c++)
			d->scores[i * 3 + c] = 2 + rnd(7);
		d->reviews[i] = (struct sk_rank_review){ i % P, i / P, &d->scores[i * 3] };
	}
}

static struct sk_rank_input design_input(struct design *d, enum sk_rank_method m)
{
	return (struct sk_rank_input){ 3, d->P, d->N, d->P * d->N, d->criteria, d->reviews, NULL, m };
}

static void order_of(const struct sk_rank_result *r, size_t *out)
{
	for (size_t i = 0; i < r->n; i++)
		out[i] = r->entries[i].proposal;
}

Test(ranking, property_shifting_one_panelist_leaves_the_normalised_order)
{
	struct design d;
	design_make(&d, 40, 6);
	struct sk_rank_input in = design_input(&d, SK_RANK_NORMALISED);
	struct sk_rank_result a, b;
	cr_assert(sk_rank(&in, &a));
	for (size_t i = 0; i < d.P; i++) /* panelist 2 becomes more lenient by 2 points on every criterion */
		for (int c = 0; c < 3; c++)
			d.scores[(2 * d.P + i) * 3 + c] += 2;
	cr_assert(sk_rank(&in, &b));
	size_t oa[40], ob[40];
	order_of(&a, oa);
	order_of(&b, ob);
	cr_assert(memcmp(oa, ob, sizeof oa) == 0, "order changed");
	sk_rank_result_free(&a);
	sk_rank_result_free(&b);
	free(d.scores);
	free(d.reviews);
}

Test(ranking, property_input_order_does_not_matter)
{
	struct design d;
	design_make(&d, 30, 5);
	struct sk_rank_input in = design_input(&d, SK_RANK_NORMALISED);
	struct sk_rank_result a, b;
	cr_assert(sk_rank(&in, &a));
	for (size_t i = d.P * d.N - 1; i > 0; i--) { /* shuffle the reviews */
		size_t j = (size_t)rnd((int)i + 1);
		struct sk_rank_review t = d.reviews[i];
		d.reviews[i] = d.reviews[j];
		d.reviews[j] = t;
	}
	cr_assert(sk_rank(&in, &b));
	for (size_t i = 0; i < a.n; i++) {
		cr_assert_eq(a.entries[i].proposal, b.entries[i].proposal);
		NEAR(a.entries[i].score, b.entries[i].score, 1e-9);
		cr_assert_eq(a.entries[i].tied_with_next, b.entries[i].tied_with_next);
	}
	NEAR(a.alpha_total, b.alpha_total, 1e-12);
	sk_rank_result_free(&a);
	sk_rank_result_free(&b);
	free(d.scores);
	free(d.reviews);
}

Test(ranking, property_a_panelist_who_gives_one_score_to_all_moves_nothing)
{
	for (int m = 0; m < 2; m++) {
		struct design d;
		design_make(&d, 25, 5);
		/* Ranking by the first 4 panelists only ... */
		struct sk_rank_input in = design_input(&d, (enum sk_rank_method)m);
		in.nreviews = d.P * 4;
		in.npanelists = 4;
		struct sk_rank_result a, b;
		cr_assert(sk_rank(&in, &a));
		/* ... and with a fifth who scores everything 5. */
		for (size_t i = 0; i < d.P; i++)
			for (int c = 0; c < 3; c++)
				d.scores[(4 * d.P + i) * 3 + c] = 5;
		in = design_input(&d, (enum sk_rank_method)m);
		cr_assert(sk_rank(&in, &b));
		for (size_t i = 0; i < a.n; i++)
			cr_assert_eq(a.entries[i].proposal, b.entries[i].proposal, "method %d position %zu", m, i);
		sk_rank_result_free(&a);
		sk_rank_result_free(&b);
		free(d.scores);
		free(d.reviews);
	}
}

Test(ranking, exact_ties_break_deterministically_and_unreviewed_come_last)
{
	const int s[1] = { 5 };
	const struct sk_rank_criterion k[1] = { { 1, 10 } };
	struct sk_rank_review rv[2] = { { 1, 0, s }, { 2, 0, s } };
	int64_t ids[3] = { 30, 20, 10 };
	struct sk_rank_input in = { 1, 3, 1, 2, k, rv, ids, SK_RANK_RAW };
	struct sk_rank_result r;
	cr_assert(sk_rank(&in, &r));
	cr_assert_eq(r.entries[0].proposal, 2, "equal scores: the lower id (10) first");
	cr_assert_eq(r.entries[1].proposal, 1);
	cr_assert_eq(r.entries[2].proposal, 0, "no reviews: last");
	cr_assert(isnan(r.entries[2].score));
	cr_assert(r.entries[0].tied_with_next);
	sk_rank_result_free(&r);
}

Test(ranking, explains_which_criteria_separate_neighbours)
{
	const struct sk_rank_criterion k[3] = { { 1, 10 }, { 1, 10 }, { 1, 10 } };
	const int a[3] = { 9, 5, 5 }, b[3] = { 5, 5, 8 };
	struct sk_rank_review rv[2] = { { 0, 0, a }, { 1, 0, b } };
	struct sk_rank_input in = { 3, 2, 1, 2, k, rv, NULL, SK_RANK_RAW };
	struct sk_rank_result r;
	cr_assert(sk_rank(&in, &r));
	cr_assert_eq(r.entries[0].proposal, 0);
	size_t why[3];
	size_t n = sk_rank_explain_pair(&in, &r.entries[0], &r.entries[1], why, 3);
	cr_assert_eq(n, 1);
	cr_assert_eq(why[0], 0, "criterion 0 puts the first above the second");
	sk_rank_result_free(&r);
}

/* Bitwise equality of two doubles, NaN equal to NaN. */
static bool same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same_result(const struct sk_rank_result *a, const struct sk_rank_result *b, size_t C, int step)
{
	cr_assert_eq(a->n, b->n, "step %d", step);
	cr_assert(same_double(a->alpha_total, b->alpha_total) && same_double(a->mean_all, b->mean_all) &&
			  same_double(a->sd_all, b->sd_all),
		  "step %d: alpha, mean or sd differ", step);
	for (size_t c = 0; c < C; c++)
		cr_assert(same_double(a->alpha_criteria[c], b->alpha_criteria[c]), "step %d criterion %zu", step, c);
	for (size_t i = 0; i < a->n; i++) {
		const struct sk_rank_entry *x = &a->entries[i], *y = &b->entries[i];
		cr_assert(x->proposal == y->proposal && x->rank == y->rank && x->nreviews == y->nreviews &&
				  x->has_interval == y->has_interval && x->tied_with_next == y->tied_with_next,
			  "step %d position %zu", step, i);
		cr_assert(same_double(x->raw, y->raw) && same_double(x->normalised, y->normalised) &&
				  same_double(x->score, y->score) && same_double(x->lo, y->lo) && same_double(x->hi, y->hi) &&
				  same_double(x->min_review, y->min_review) && same_double(x->max_review, y->max_review),
			  "step %d position %zu: a score differs", step, i);
		for (size_t c = 0; c < C; c++)
			cr_assert(same_double(x->criterion_raw[c], y->criterion_raw[c]) &&
					  same_double(x->criterion_normalised[c], y->criterion_normalised[c]),
				  "step %d position %zu criterion %zu", step, i, c);
	}
}

static int by_proposal_then_panelist(const void *x, const void *y)
{
	const struct sk_rank_review *a = x, *b = y;
	if (a->proposal != b->proposal)
		return a->proposal < b->proposal ? -1 : 1;
	return (a->panelist > b->panelist) - (a->panelist < b->panelist);
}

Test(ranking, a_reused_workspace_gives_the_same_results_as_fresh_calls)
{
	struct sk_rank_workspace *ws = sk_rank_workspace_new();
	cr_assert_not_null(ws);
	/* Large, small, larger again, both methods, reviews in proposal order and shuffled, some
	 * proposals without reviews: a workspace left over from one input must not leak into the next. */
	static const size_t shape[][2] = { { 60, 6 }, { 7, 3 }, { 1, 1 }, { 90, 8 }, { 25, 5 }, { 90, 8 } };
	for (int step = 0; step < (int)(sizeof shape / sizeof shape[0]); step++) {
		struct design d;
		design_make(&d, shape[step][0], shape[step][1]);
		struct sk_rank_input in = design_input(&d, step % 2 ? SK_RANK_RAW : SK_RANK_NORMALISED);
		if (step % 3 == 1)
			for (size_t i = d.P * d.N - 1; i > 0; i--) {
				size_t j = (size_t)rnd((int)i + 1);
				struct sk_rank_review t = d.reviews[i];
				d.reviews[i] = d.reviews[j];
				d.reviews[j] = t;
			}
		if (step % 3 == 2) /* grouped by proposal, as the server reads them */
			qsort(d.reviews, d.P * d.N, sizeof *d.reviews, by_proposal_then_panelist);
		if (step == 3) /* half of the last panelist's reviews left out: some proposals have fewer */
			in.nreviews -= d.P / 2;
		in.nproposals += step == 4 ? 3 : 0; /* three proposals nobody reviewed */
		struct sk_rank_result fresh, reused;
		cr_assert(sk_rank(&in, &fresh), "step %d", step);
		cr_assert(sk_rank_with(&in, ws, &reused), "step %d", step);
		assert_same_result(&fresh, &reused, 3, step);
		sk_rank_result_free(&fresh);
		sk_rank_result_free(&reused);
		free(d.scores);
		free(d.reviews);
	}
	/* A malformed input fails without spoiling the workspace for the next call. */
	const int s[1] = { 11 };
	const struct sk_rank_criterion k[1] = { { 1, 10 } };
	struct sk_rank_review rv[1] = { { 0, 0, s } };
	struct sk_rank_input bad = { 1, 1, 1, 1, k, rv, NULL, SK_RANK_RAW };
	struct sk_rank_result r;
	cr_assert(!sk_rank_with(&bad, ws, &r), "a score above the maximum is refused");
	sk_rank_result_free(&r);
	struct sk_rank_input ex = example(SK_RANK_NORMALISED);
	struct sk_rank_result fresh;
	cr_assert(sk_rank(&ex, &fresh));
	cr_assert(sk_rank_with(&ex, ws, &r));
	assert_same_result(&fresh, &r, 1, 99);
	sk_rank_result_free(&fresh);
	sk_rank_result_free(&r);
	sk_rank_workspace_free(ws);
}

/* Every number a ranking publishes on 0..100 (scores, intervals, review spread, criterion means). */
static void assert_on_scale(const struct sk_rank_result *r, size_t C, unsigned seed)
{
#define IN_SCALE(v)                                                                                          \
	cr_assert(isnan(v) || ((v) >= 0 && (v) <= 100), "seed %u: %s = %.6f is off the 0..100 scale", seed, #v, \
		  (double)(v))
	for (size_t i = 0; i < r->n; i++) {
		const struct sk_rank_entry *e = &r->entries[i];
		IN_SCALE(e->raw);
		IN_SCALE(e->normalised);
		IN_SCALE(e->score);
		IN_SCALE(e->min_review);
		IN_SCALE(e->max_review);
		if (e->has_interval) {
			IN_SCALE(e->lo);
			IN_SCALE(e->hi);
			cr_assert(e->lo <= e->score && e->score <= e->hi, "seed %u: the interval holds the score", seed);
		}
		for (size_t c = 0; c < C; c++) {
			IN_SCALE(e->criterion_raw[c]);
			IN_SCALE(e->criterion_normalised[c]);
		}
	}
#undef IN_SCALE
}

/*
 * Random panels (harsh, lenient and erratic panelists, panelists with one or two reviews, proposals
 * with one review or none, exact ties from a coarse scale): under both methods, every published
 * number stays on 0..100 (docs/ranking.md, "The scale").
 */
Test(ranking, property_every_published_number_stays_on_the_scale)
{
	for (unsigned seed = 1; seed <= 400; seed++) {
		rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull);
		size_t C = 1 + (size_t)rnd(4), P = 1 + (size_t)rnd(12), N = 1 + (size_t)rnd(6);
		struct sk_rank_criterion crit[4];
		for (size_t c = 0; c < C; c++)
			crit[c] = (struct sk_rank_criterion){ 0.5 + rnd(5), rnd(3) == 0 ? 1 + rnd(3) : 10 };
		int bias[6], spread[6];
		for (size_t p = 0; p < N; p++) {
			bias[p] = rnd(3) - 1; /* harsh, neutral, lenient */
			spread[p] = rnd(3);   /* one score for all, narrow, wide */
		}
		int *scores = malloc(P * N * C * sizeof *scores);
		struct sk_rank_review *reviews = malloc(P * N * sizeof *reviews);
		size_t V = 0;
		for (size_t i = 0; i < P; i++) {
			int quality = rnd(11);
			/* some proposals get one review (from panelist `only`) or none */
			int kind = rnd(6);
			size_t only = (size_t)rnd((int)N);
			for (size_t p = 0; p < N; p++) {
				if (kind == 0 || (kind == 1 && p != only))
					continue;
				int *s = &scores[V * C];
				for (size_t c = 0; c < C; c++) {
					int m = crit[c].max, v;
					if (spread[p] == 0)
						v = bias[p] > 0 ? m : bias[p] < 0 ? 0 : m / 2;
					else {
						double base = quality / 10.0 * m + bias[p] * 0.4 * m;
						v = (int)lround(base + (spread[p] == 2 ? rnd(m + 1) - m / 2.0 : rnd(3) - 1));
					}
					s[c] = v < 0 ? 0 : v > m ? m : v;
				}
				reviews[V++] = (struct sk_rank_review){ i, p, s };
			}
		}
		for (int m = 0; m < 2; m++) {
			struct sk_rank_input in = { C, P, N, V, crit, reviews, NULL, m ? SK_RANK_NORMALISED : SK_RANK_RAW };
			struct sk_rank_result r;
			cr_assert(sk_rank(&in, &r), "seed %u", seed);
			assert_on_scale(&r, C, seed);
			sk_rank_result_free(&r);
		}
		free(scores);
		free(reviews);
	}
}

/* The case of the issue: three panelists, one harsh and two lenient, a clear winner; nothing passes 100. */
Test(ranking, a_lenient_panel_does_not_push_the_winner_past_100)
{
	static const int s[4][3] = { { 10, 10, 10 }, { 9, 9, 9 }, { 2, 9, 10 }, { 1, 6, 7 } };
	const struct sk_rank_criterion crit[1] = { { 1, 10 } };
	struct sk_rank_review reviews[12];
	for (size_t i = 0; i < 4; i++)
		for (size_t p = 0; p < 3; p++)
			reviews[i * 3 + p] = (struct sk_rank_review){ i, p, &s[i][p] };
	struct sk_rank_input in = { 1, 4, 3, 12, crit, reviews, NULL, SK_RANK_NORMALISED };
	struct sk_rank_result r;
	cr_assert(sk_rank(&in, &r));
	assert_on_scale(&r, 1, 0);
	cr_assert_eq(r.entries[0].proposal, 0);
	sk_rank_result_free(&r);
	in.method = SK_RANK_RAW;
	cr_assert(sk_rank(&in, &r));
	assert_on_scale(&r, 1, 0);
	sk_rank_result_free(&r);
}

/* What normalisation did to each panelist: μ_p, σ_p, and who was left as is (fewer than 3 reviews). */
Test(ranking, reports_each_panelists_mean_spread_and_adjustment)
{
	struct sk_rank_input in = example(SK_RANK_NORMALISED);
	struct sk_rank_result r;
	cr_assert(sk_rank(&in, &r));
	cr_assert_eq(r.npanelists, 3);
	NEAR(r.panelists[0].mean, 50, 1e-9); /* A: 40 50 60 */
	NEAR(r.panelists[1].mean, 80, 1e-9); /* B: 70 80 90 */
	NEAR(r.panelists[0].sd, sqrt(200.0 / 3), 1e-9);
	cr_assert(r.panelists[0].adjusted && r.panelists[2].adjusted);
	cr_assert_eq(r.panelists[2].nreviews, 3);
	sk_rank_result_free(&r);
	/* Panelist C reviews only two proposals: not adjusted. */
	in.nreviews = 8;
	cr_assert(sk_rank(&in, &r));
	cr_assert_eq(r.panelists[2].nreviews, 2);
	cr_assert(!r.panelists[2].adjusted && r.panelists[0].adjusted);
	NEAR(r.panelists[2].mean, 55, 1e-9); /* C: 50 60 */
	sk_rank_result_free(&r);
}
