#include "domain/ranking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Student's t ---------------------------------------------------------------------------- */

/* Continued fraction for the regularised incomplete beta function (modified Lentz). */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	double h = d;
	for (int m = 1; m <= 300; m++) {
		int m2 = 2 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

static double betai(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
	if (x < (a + 1) / (a + b + 2))
		return bt * betacf(a, b, x) / a;
	return 1 - bt * betacf(b, a, 1 - x) / b;
}

static double student_t_cdf(double t, double df)
{
	double tail = 0.5 * betai(df / 2, 0.5, df / (df + t * t));
	return t >= 0 ? 1 - tail : tail;
}

double sk_student_t_quantile(double p, double df)
{
	if (p == 0.5)
		return 0;
	if (p < 0.5)
		return -sk_student_t_quantile(1 - p, df);
	double lo = 0, hi = 1;
	while (student_t_cdf(hi, df) < p && hi < 1e12)
		hi *= 2;
	for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
		double mid = (lo + hi) / 2;
		if (student_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* ---- Krippendorff's alpha, interval metric ---------------------------------------------------- */

struct unit_sums {
	double m, s1, s2; /* count, sum, sum of squares of one unit's values */
};

/* The running sums of alpha over units, in unit order. */
struct alpha_sums {
	double n, s1, s2, within;
};

/* Adds one unit: only units with two or more values are pairable. */
static void alpha_add(struct alpha_sums *a, const struct unit_sums *u)
{
	if (u->m < 2)
		return;
	a->n += u->m;
	a->s1 += u->s1;
	a->s2 += u->s2;
	/* Σ over ordered pairs i≠j of (v_i − v_j)² = 2·m·Σv² − 2·(Σv)² */
	a->within += (2 * u->m * u->s2 - 2 * u->s1 * u->s1) / (u->m - 1);
}

static double alpha_finish(const struct alpha_sums *a)
{
	double n = a->n, s1 = a->s1, s2 = a->s2;
	if (n < 2)
		return NAN;
	double d_observed = a->within / n;
	double d_expected = (2 * n * s2 - 2 * s1 * s1) / (n * (n - 1));
	if (d_expected <= 1e-12 * (s2 > 1 ? s2 : 1))
		return NAN; /* no variation at all: agreement is undefined */
	return 1 - d_observed / d_expected;
}

double sk_krippendorff_interval(const double *values, size_t nunits, size_t ncoders)
{
	struct alpha_sums a = { 0, 0, 0, 0 };
	for (size_t i = 0; i < nunits; i++) {
		struct unit_sums u = { 0, 0, 0 };
		for (size_t j = 0; j < ncoders; j++) {
			double v = values[i * ncoders + j];
			if (isnan(v))
				continue;
			u.m++;
			u.s1 += v;
			u.s2 += v * v;
		}
		alpha_add(&a, &u);
	}
	return alpha_finish(&a);
}

/* ---- The ranking ----------------------------------------------------------------------------- */

double sk_rank_review_score(const struct sk_rank_input *in, const int *scores)
{
	double num = 0, den = 0;
	for (size_t c = 0; c < in->ncriteria; c++) {
		num += in->criteria[c].weight * ((double)scores[c] / in->criteria[c].max);
		den += in->criteria[c].weight;
	}
	return 100 * num / den;
}

/* Running count, mean and sum of squared deviations (Welford): no cancellation when values agree. */
struct stats {
	double n, mean, m2;
};

static inline void stats_add(struct stats *s, double v)
{
	s->n++;
	double d = v - s->mean;
	s->mean += d / s->n;
	s->m2 += d * (v - s->mean);
}

/* Population standard deviation. */
static double stats_sd(const struct stats *s)
{
	return s->m2 > 0 ? sqrt(s->m2 / s->n) : 0;
}

/* One panelist's normalisation of one value (section 3 of docs/ranking.md), computed once per panelist. */
enum norm_kind { NORM_NONE, NORM_SHIFT, NORM_SCALE };
struct norm {
	double mp, sp;
	enum norm_kind kind;
};

/* v clipped to the scale 0..100 (docs/ranking.md, "The scale"). */
static inline double on_scale(double v)
{
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

/* R' for a value v of a panelist, given the call's overall mean and sd; always on 0..100. */
static inline double normalise(double v, const struct norm *p, double mean, double sd)
{
	if (p->kind == NORM_NONE)
		return v;
	/* A spread this small is rounding noise: treat as a panelist who gives one score to all. */
	if (p->kind == NORM_SHIFT)
		return on_scale(v - p->mp + mean);
	return on_scale(mean + sd * (v - p->mp) / p->sp);
}

/* What the order compares, per proposal (section 7); index breaks what the id cannot. */
struct rank_key {
	double score, other;
	uint32_t nreviews, proposal;
};

/* Per proposal, what the entry needs besides its key. */
struct rank_rest {
	double lo, hi, min_review, max_review;
};

struct sk_rank_workspace {
	void *mem;
	size_t cap;
};

struct sk_rank_workspace *sk_rank_workspace_new(void)
{
	return calloc(1, sizeof(struct sk_rank_workspace));
}

void sk_rank_workspace_free(struct sk_rank_workspace *ws)
{
	if (ws == NULL)
		return;
	free(ws->mem);
	free(ws);
}

/* Negative when a goes first: the rules of section 7, then the input index (a total order). */
static inline int key_cmp(const struct rank_key *a, const struct rank_key *b, const int64_t *ids)
{
	bool an = isnan(a->score), bn = isnan(b->score);
	if (an != bn)
		return an ? 1 : -1;
	if (!an && a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (!isnan(a->other) && !isnan(b->other) && a->other != b->other)
		return a->other > b->other ? -1 : 1;
	if (a->nreviews != b->nreviews)
		return a->nreviews > b->nreviews ? -1 : 1;
	int64_t ia = ids ? ids[a->proposal] : (int64_t)a->proposal;
	int64_t ib = ids ? ids[b->proposal] : (int64_t)b->proposal;
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return (a->proposal > b->proposal) - (a->proposal < b->proposal);
}

/* Sorts n keys (merge sort, tmp holds n more); returns where the sorted keys are (keys or tmp). */
static struct rank_key *sort_keys(struct rank_key *keys, struct rank_key *tmp, size_t n, const int64_t *ids)
{
	const size_t run = 16;
	for (size_t lo = 0; lo < n; lo += run) { /* insertion sort of short runs */
		size_t hi = lo + run < n ? lo + run : n;
		for (size_t i = lo + 1; i < hi; i++) {
			struct rank_key k = keys[i];
			size_t j = i;
			while (j > lo && key_cmp(&k, &keys[j - 1], ids) < 0) {
				keys[j] = keys[j - 1];
				j--;
			}
			keys[j] = k;
		}
	}
	struct rank_key *src = keys, *dst = tmp;
	for (size_t width = run; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				dst[o++] = key_cmp(&src[j], &src[i], ids) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
		}
		struct rank_key *t = src;
		src = dst;
		dst = t;
	}
	return src;
}

/* Largest scale maximum for which x_c and the weighted terms of R are looked up, not divided. */
#define TABLE_MAX 4096

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

bool sk_rank(const struct sk_rank_input *in, struct sk_rank_result *out)
{
	struct sk_rank_workspace ws = { NULL, 0 };
	bool ok = sk_rank_with(in, &ws, out);
	free(ws.mem);
	return ok;
}

bool sk_rank_with(const struct sk_rank_input *in, struct sk_rank_workspace *ws, struct sk_rank_result *out)
{
	memset(out, 0, sizeof *out);
	size_t P = in->nproposals, N = in->npanelists, C = in->ncriteria, V = in->nreviews;
	if (C == 0 || C > SK_RANK_MAX_CRITERIA || P >= UINT32_MAX || V >= UINT32_MAX)
		return false;
	double mean[SK_RANK_MAX_CRITERIA + 1], sd[SK_RANK_MAX_CRITERIA + 1], den = 0;
	size_t table_len = 0;
	for (size_t c = 0; c < C; c++) {
		if (!(in->criteria[c].weight > 0) || in->criteria[c].max < 1)
			return false;
		table_len += (size_t)in->criteria[c].max + 1;
		den += in->criteria[c].weight; /* the same sum, in the same order, as sk_rank_review_score */
	}
	bool tables = true;
	for (size_t c = 0; c < C; c++)
		tables &= in->criteria[c].max <= TABLE_MAX;
	if (!tables)
		table_len = 0;
	/* Reviews grouped by proposal (as the server reads them) need no index of their own. */
	bool grouped = true;
	for (size_t v = 0; v < V; v++) {
		if (in->reviews[v].proposal >= P || in->reviews[v].panelist >= N)
			return false;
		grouped &= v == 0 || in->reviews[v - 1].proposal <= in->reviews[v].proposal;
	}

	/* Scratch: one block, carved up; reused from the workspace when it is large enough. */
	size_t K = C + 1; /* slot 0..C-1: criteria, slot C: R */
	size_t o_pan = 0, o_norm = o_pan + align16(N * K * sizeof(struct stats));
	size_t o_start = o_norm + align16(N * K * sizeof(struct norm));
	size_t o_order = o_start + align16((P + 1) * sizeof(uint32_t));
	size_t o_keys = o_order + align16(grouped ? 0 : V * sizeof(uint32_t));
	size_t o_tmp = o_keys + align16(P * sizeof(struct rank_key));
	size_t o_rest = o_tmp + align16(P * sizeof(struct rank_key));
	size_t o_tables = o_rest + align16(P * sizeof(struct rank_rest));
	size_t o_tcache = o_tables + align16(2 * table_len * sizeof(double));
	size_t need = o_tcache + align16((N + 2) * sizeof(double));
	if (ws->cap < need) {
		free(ws->mem);
		ws->mem = malloc(need);
		ws->cap = ws->mem ? need : 0;
		if (ws->mem == NULL)
			return false;
	}
	unsigned char *mem = ws->mem;
	struct stats *pan = (struct stats *)(mem + o_pan);
	struct norm *norm = (struct norm *)(mem + o_norm);
	uint32_t *start = (uint32_t *)(mem + o_start), *order = grouped ? NULL : (uint32_t *)(mem + o_order);
	struct rank_key *keys = (struct rank_key *)(mem + o_keys), *tmp = (struct rank_key *)(mem + o_tmp);
	struct rank_rest *rest = (struct rank_rest *)(mem + o_rest);
	double *tx = (double *)(mem + o_tables), *tw = tx + table_len, *tcache = (double *)(mem + o_tcache);
	const double *cx[SK_RANK_MAX_CRITERIA] = { NULL }, *cw[SK_RANK_MAX_CRITERIA] = { NULL };
	memset(pan, 0, N * K * sizeof *pan);
	memset(start, 0, (P + 1) * sizeof *start);
	memset(tcache, 0, (N + 2) * sizeof *tcache);
	if (tables) /* x_c = s/max·100 and w·s/max for every possible score, exactly as computed below otherwise */
		for (size_t c = 0, at = 0; c < C; at += (size_t)in->criteria[c].max + 1, c++) {
			cx[c] = tx + at;
			cw[c] = tw + at;
			for (int s = 0; s <= in->criteria[c].max; s++) {
				tx[at + (size_t)s] = 100.0 * s / in->criteria[c].max;
				tw[at + (size_t)s] = in->criteria[c].weight * ((double)s / in->criteria[c].max);
			}
		}

	/* The result: entries, criterion means, alpha and panelists in one block (sk_rank_result_free frees it). */
	size_t e_bytes = align16((P + 1) * sizeof *out->entries);
	size_t d_bytes = align16((2 * P * C + C) * sizeof(double));
	unsigned char *block = malloc(e_bytes + d_bytes + (N + 1) * sizeof *out->panelists);
	if (block == NULL)
		return false;
	out->entries = (struct sk_rank_entry *)block;
	double *crit_block = (double *)(block + e_bytes);
	out->alpha_criteria = crit_block + 2 * P * C;
	out->panelists = (struct sk_rank_panelist *)(block + e_bytes + d_bytes);
	out->npanelists = N;
	out->n = P;

	/* The values of one review: x_c per criterion and R (slot C). */
#define REVIEW_VALUES(r, x)                                                                                  \
	do {                                                                                                 \
		double num_ = 0;                                                                             \
		for (size_t c_ = 0; c_ < C; c_++) {                                                          \
			int s_ = (r)->scores[c_];                                                            \
			if (tables) {                                                                        \
				(x)[c_] = cx[c_][s_];                                                        \
				num_ += cw[c_][s_];                                                          \
			} else {                                                                             \
				(x)[c_] = 100.0 * s_ / in->criteria[c_].max;                                 \
				num_ += in->criteria[c_].weight * ((double)s_ / in->criteria[c_].max);        \
			}                                                                                    \
		}                                                                                            \
		(x)[C] = 100 * num_ / den;                                                                   \
	} while (0)

	/* Pass 1, reviews in input order: validate, per-panelist and overall stats, reviews per proposal. */
	struct stats all[SK_RANK_MAX_CRITERIA + 1];
	memset(all, 0, sizeof all);
	for (size_t v = 0; v < V; v++) {
		const struct sk_rank_review *r = &in->reviews[v];
		for (size_t c = 0; c < C; c++)
			if (r->scores[c] < 0 || r->scores[c] > in->criteria[c].max) {
				sk_rank_result_free(out);
				return false;
			}
		double x[SK_RANK_MAX_CRITERIA + 1];
		REVIEW_VALUES(r, x);
		struct stats *p = &pan[r->panelist * K];
		for (size_t k = 0; k < K; k++) {
			stats_add(&p[k], x[k]);
			stats_add(&all[k], x[k]);
		}
		start[r->proposal + 1]++;
	}
	for (size_t k = 0; k < K; k++) {
		mean[k] = all[k].n ? all[k].mean : 0;
		sd[k] = all[k].n ? stats_sd(&all[k]) : 0;
	}
	out->mean_all = mean[C];
	out->sd_all = sd[C];
	for (size_t i = 0; i < N * K; i++) {
		double sp = stats_sd(&pan[i]);
		norm[i] = (struct norm){ pan[i].mean, sp, pan[i].n < 3 ? NORM_NONE : sp < 1e-9 ? NORM_SHIFT : NORM_SCALE };
	}
	for (size_t p = 0; p < N; p++) {
		const struct stats *s = &pan[p * K + C];
		out->panelists[p] = (struct sk_rank_panelist){ (size_t)s->n, s->n ? s->mean : NAN, s->n ? stats_sd(s) : NAN,
							       s->n >= 3 };
	}
	for (size_t i = 0; i < P; i++)
		start[i + 1] += start[i];
	if (!grouped) { /* a stable counting sort of the review indexes by proposal */
		for (size_t v = 0; v < V; v++)
			order[start[in->reviews[v].proposal]++] = (uint32_t)v;
		for (size_t i = P; i > 0; i--)
			start[i] = start[i - 1];
		start[0] = 0;
	}

	/* Pass 2, proposals in index order: their stats, criterion means, agreement sums, sort keys. */
	struct alpha_sums asum[SK_RANK_MAX_CRITERIA + 1];
	memset(asum, 0, sizeof asum);
	bool raw_method = in->method == SK_RANK_RAW;
	for (size_t i = 0; i < P; i++) {
		struct stats prop[SK_RANK_MAX_CRITERIA + 1], propn[SK_RANK_MAX_CRITERIA + 1];
		struct unit_sums u[SK_RANK_MAX_CRITERIA + 1];
		memset(prop, 0, K * sizeof *prop);
		memset(propn, 0, K * sizeof *propn);
		memset(u, 0, K * sizeof *u);
		double lo = INFINITY, hi = -INFINITY;
		for (size_t j = start[i]; j < start[i + 1]; j++) {
			const struct sk_rank_review *r = &in->reviews[order ? order[j] : j];
			const struct norm *pn = &norm[r->panelist * K];
			double x[SK_RANK_MAX_CRITERIA + 1];
			REVIEW_VALUES(r, x);
			for (size_t k = 0; k < K; k++) {
				double xn = normalise(x[k], &pn[k], mean[k], sd[k]);
				stats_add(&prop[k], x[k]);
				stats_add(&propn[k], xn);
				u[k].m++;
				u[k].s1 += x[k];
				u[k].s2 += x[k] * x[k];
				if (k == C) {
					double m = raw_method ? x[k] : xn;
					if (m < lo)
						lo = m;
					if (m > hi)
						hi = m;
				}
			}
		}
		for (size_t k = 0; k < K; k++)
			alpha_add(&asum[k], &u[k]);
		const struct stats *raw = &prop[C], *nor = &propn[C], *m = raw_method ? raw : nor;
		double e_raw = raw->n ? raw->mean : NAN, e_nor = nor->n ? nor->mean : NAN;
		keys[i] = (struct rank_key){ raw_method ? e_raw : e_nor, raw_method ? e_nor : e_raw, (uint32_t)raw->n,
					     (uint32_t)i };
		double *cr = crit_block + 2 * i * C, *cn = cr + C;
		for (size_t c = 0; c < C; c++) {
			cr[c] = prop[c].n ? prop[c].mean : NAN;
			cn[c] = propn[c].n ? propn[c].mean : NAN;
		}
		struct rank_rest *t = &rest[i];
		t->min_review = raw->n ? lo : NAN;
		t->max_review = raw->n ? hi : NAN;
		t->lo = t->hi = 0;
		if (m->n >= 2) {
			size_t df = (size_t)m->n - 1;
			if (df <= N && tcache[df] == 0)
				tcache[df] = sk_student_t_quantile(0.975, (double)df);
			double q = df <= N ? tcache[df] : sk_student_t_quantile(0.975, (double)df);
			double mu = m->mean, var = m->m2 / (m->n - 1);
			double half = q * (var > 0 ? sqrt(var) : 0) / sqrt(m->n);
			t->lo = on_scale(mu - half);
			t->hi = on_scale(mu + half);
		}
	}
#undef REVIEW_VALUES
	for (size_t c = 0; c < C; c++)
		out->alpha_criteria[c] = alpha_finish(&asum[c]);
	out->alpha_total = alpha_finish(&asum[C]);

	/* The order, then the entries in it. */
	const struct rank_key *sorted = sort_keys(keys, tmp, P, in->proposal_ids);
	for (size_t j = 0; j < P; j++) {
		const struct rank_key *k = &sorted[j];
		const struct rank_rest *t = &rest[k->proposal];
		double *cr = crit_block + 2 * (size_t)k->proposal * C;
		out->entries[j] = (struct sk_rank_entry){
			.proposal = k->proposal,
			.rank = j + 1,
			.nreviews = k->nreviews,
			.raw = raw_method ? k->score : k->other,
			.normalised = raw_method ? k->other : k->score,
			.score = k->score,
			.has_interval = k->nreviews >= 2,
			.lo = t->lo,
			.hi = t->hi,
			.min_review = t->min_review,
			.max_review = t->max_review,
			.criterion_raw = cr,
			.criterion_normalised = cr + C,
		};
	}
	for (size_t i = 0; i + 1 < P; i++) {
		struct sk_rank_entry *e = &out->entries[i];
		const struct sk_rank_entry *f = &out->entries[i + 1];
		if (!isnan(e->score) && !isnan(f->score)) {
			double alo = e->has_interval ? e->lo : e->score, ahi = e->has_interval ? e->hi : e->score;
			double blo = f->has_interval ? f->lo : f->score, bhi = f->has_interval ? f->hi : f->score;
			e->tied_with_next = alo <= bhi && blo <= ahi;
		}
	}
	return true;
}

void sk_rank_result_free(struct sk_rank_result *r)
{
	free(r->entries); /* entries, criterion means and alpha are one block */
	memset(r, 0, sizeof *r);
}

size_t sk_rank_explain_pair(const struct sk_rank_input *in, const struct sk_rank_entry *a, const struct sk_rank_entry *b,
			    size_t *out, size_t max)
{
	double wsum = 0, diff[SK_RANK_MAX_CRITERIA];
	size_t C = in->ncriteria, n = 0;
	for (size_t c = 0; c < C; c++)
		wsum += in->criteria[c].weight;
	for (size_t c = 0; c < C; c++) {
		const double *ma = in->method == SK_RANK_RAW ? a->criterion_raw : a->criterion_normalised;
		const double *mb = in->method == SK_RANK_RAW ? b->criterion_raw : b->criterion_normalised;
		diff[c] = in->criteria[c].weight * (ma[c] - mb[c]) / wsum;
	}
	/* criteria with a positive contribution, largest first (selection: C is small) */
	bool used[SK_RANK_MAX_CRITERIA] = { false };
	while (n < max) {
		size_t best = C;
		for (size_t c = 0; c < C; c++)
			if (!used[c] && diff[c] > 1e-12 && (best == C || diff[c] > diff[best]))
				best = c;
		if (best == C)
			break;
		used[best] = true;
		out[n++] = best;
	}
	return n;
}
