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

/* alpha from per-unit sums: only units with two or more values are pairable. */
static double alpha_from_units(const struct unit_sums *u, size_t nunits)
{
	double n = 0, s1 = 0, s2 = 0, within = 0;
	for (size_t i = 0; i < nunits; i++) {
		if (u[i].m < 2)
			continue;
		n += u[i].m;
		s1 += u[i].s1;
		s2 += u[i].s2;
		/* Σ over ordered pairs i≠j of (v_i − v_j)² = 2·m·Σv² − 2·(Σv)² */
		within += (2 * u[i].m * u[i].s2 - 2 * u[i].s1 * u[i].s1) / (u[i].m - 1);
	}
	if (n < 2)
		return NAN;
	double d_observed = within / n;
	double d_expected = (2 * n * s2 - 2 * s1 * s1) / (n * (n - 1));
	if (d_expected <= 1e-12 * (s2 > 1 ? s2 : 1))
		return NAN; /* no variation at all: agreement is undefined */
	return 1 - d_observed / d_expected;
}

double sk_krippendorff_interval(const double *values, size_t nunits, size_t ncoders)
{
	struct unit_sums *u = calloc(nunits + 1, sizeof *u);
	if (u == NULL)
		return NAN;
	for (size_t i = 0; i < nunits; i++)
		for (size_t j = 0; j < ncoders; j++) {
			double v = values[i * ncoders + j];
			if (isnan(v))
				continue;
			u[i].m++;
			u[i].s1 += v;
			u[i].s2 += v * v;
		}
	double a = alpha_from_units(u, nunits);
	free(u);
	return a;
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

static void stats_add(struct stats *s, double v)
{
	s->n++;
	double d = v - s->mean;
	s->mean += d / s->n;
	s->m2 += d * (v - s->mean);
}

static double stats_mean(const struct stats *s)
{
	return s->mean;
}

/* Population standard deviation. */
static double stats_sd(const struct stats *s)
{
	return s->m2 > 0 ? sqrt(s->m2 / s->n) : 0;
}

/* R' for a value of a panelist with stats p, given the call's overall mean and sd. */
static double normalise(double v, const struct stats *p, double mean, double sd)
{
	if (p->n < 3)
		return v;
	double mp = stats_mean(p), sp = stats_sd(p);
	/* A spread this small is rounding noise: treat as a panelist who gives one score to all. */
	if (sp < 1e-9)
		return v - mp + mean;
	return mean + sd * (v - mp) / sp;
}

static const struct sk_rank_input *sort_input;

static int by_rank(const void *x, const void *y)
{
	const struct sk_rank_entry *a = x, *b = y;
	bool an = isnan(a->score), bn = isnan(b->score);
	if (an != bn)
		return an ? 1 : -1;
	if (!an && a->score != b->score)
		return a->score > b->score ? -1 : 1;
	double ao = sort_input->method == SK_RANK_RAW ? a->normalised : a->raw;
	double bo = sort_input->method == SK_RANK_RAW ? b->normalised : b->raw;
	if (!isnan(ao) && !isnan(bo) && ao != bo)
		return ao > bo ? -1 : 1;
	if (a->nreviews != b->nreviews)
		return a->nreviews > b->nreviews ? -1 : 1;
	int64_t ia = sort_input->proposal_ids ? sort_input->proposal_ids[a->proposal] : (int64_t)a->proposal;
	int64_t ib = sort_input->proposal_ids ? sort_input->proposal_ids[b->proposal] : (int64_t)b->proposal;
	return (ia > ib) - (ia < ib);
}

bool sk_rank(const struct sk_rank_input *in, struct sk_rank_result *out)
{
	memset(out, 0, sizeof *out);
	size_t P = in->nproposals, N = in->npanelists, C = in->ncriteria, V = in->nreviews;
	if (C == 0 || C > SK_RANK_MAX_CRITERIA)
		return false;
	double mean[SK_RANK_MAX_CRITERIA + 1], sd[SK_RANK_MAX_CRITERIA + 1];
	for (size_t c = 0; c < C; c++)
		if (!(in->criteria[c].weight > 0) || in->criteria[c].max < 1)
			return false;
	for (size_t v = 0; v < V; v++)
		if (in->reviews[v].proposal >= P || in->reviews[v].panelist >= N)
			return false;

	/* Per review: R and per-criterion x_c = s_c/max_c·100. Per panelist and overall: their stats. */
	size_t K = C + 1; /* slot 0..C-1: criteria, slot C: R */
	double *val = malloc((V * K + 1) * sizeof *val);
	struct stats *pan = calloc(N * K + 1, sizeof *pan), *all = calloc(K, sizeof *all);
	out->entries = calloc(P + 1, sizeof *out->entries);
	double *crit_block = calloc(2 * P * C + 1, sizeof *crit_block);
	struct stats *prop = calloc(P * K + 1, sizeof *prop), *propn = calloc(P * K + 1, sizeof *propn);
	struct unit_sums *units = calloc(P * K + 1, sizeof *units);
	double *minmax = malloc((2 * P + 1) * sizeof *minmax);
	double *tcache = calloc(N + 2, sizeof *tcache);
	out->alpha_criteria = calloc(C, sizeof *out->alpha_criteria);
	bool ok = val && pan && all && out->entries && crit_block && prop && propn && units && minmax && tcache &&
		  out->alpha_criteria;
	if (!ok)
		goto out;
	out->n = P;
	for (size_t v = 0; v < V; v++) {
		const struct sk_rank_review *r = &in->reviews[v];
		for (size_t c = 0; c < C; c++) {
			int s = r->scores[c];
			if (s < 0 || s > in->criteria[c].max) {
				ok = false;
				goto out;
			}
			val[v * K + c] = 100.0 * s / in->criteria[c].max;
		}
		val[v * K + C] = sk_rank_review_score(in, r->scores);
		for (size_t k = 0; k < K; k++) {
			stats_add(&pan[r->panelist * K + k], val[v * K + k]);
			stats_add(&all[k], val[v * K + k]);
		}
	}
	for (size_t k = 0; k < K; k++) {
		mean[k] = all[k].n ? stats_mean(&all[k]) : 0;
		sd[k] = all[k].n ? stats_sd(&all[k]) : 0;
	}
	out->mean_all = mean[C];
	out->sd_all = sd[C];
	for (size_t i = 0; i < 2 * P; i++)
		minmax[i] = i % 2 ? -INFINITY : INFINITY;
	/* Per proposal: raw and normalised sums, and the agreement units. */
	for (size_t v = 0; v < V; v++) {
		const struct sk_rank_review *r = &in->reviews[v];
		for (size_t k = 0; k < K; k++) {
			double x = val[v * K + k], xn = normalise(x, &pan[r->panelist * K + k], mean[k], sd[k]);
			stats_add(&prop[r->proposal * K + k], x);
			stats_add(&propn[r->proposal * K + k], xn);
			struct unit_sums *u = &units[k * P + r->proposal];
			u->m++;
			u->s1 += x;
			u->s2 += x * x;
			if (k == C) {
				double m = in->method == SK_RANK_RAW ? x : xn;
				if (m < minmax[2 * r->proposal])
					minmax[2 * r->proposal] = m;
				if (m > minmax[2 * r->proposal + 1])
					minmax[2 * r->proposal + 1] = m;
			}
		}
	}
	for (size_t c = 0; c < C; c++)
		out->alpha_criteria[c] = alpha_from_units(&units[c * P], P);
	out->alpha_total = alpha_from_units(&units[C * P], P);

	for (size_t i = 0; i < P; i++) {
		struct sk_rank_entry *e = &out->entries[i];
		const struct stats *raw = &prop[i * K + C], *nor = &propn[i * K + C];
		const struct stats *m = in->method == SK_RANK_RAW ? raw : nor;
		e->proposal = i;
		e->nreviews = (size_t)raw->n;
		e->raw = raw->n ? stats_mean(raw) : NAN;
		e->normalised = nor->n ? stats_mean(nor) : NAN;
		e->score = in->method == SK_RANK_RAW ? e->raw : e->normalised;
		e->min_review = raw->n ? minmax[2 * i] : NAN;
		e->max_review = raw->n ? minmax[2 * i + 1] : NAN;
		e->criterion_raw = crit_block + 2 * i * C;
		e->criterion_normalised = crit_block + 2 * i * C + C;
		for (size_t c = 0; c < C; c++) {
			e->criterion_raw[c] = prop[i * K + c].n ? stats_mean(&prop[i * K + c]) : NAN;
			e->criterion_normalised[c] = propn[i * K + c].n ? stats_mean(&propn[i * K + c]) : NAN;
		}
		if (m->n >= 2) {
			size_t df = (size_t)m->n - 1;
			if (df <= N && tcache[df] == 0)
				tcache[df] = sk_student_t_quantile(0.975, (double)df);
			double t = df <= N ? tcache[df] : sk_student_t_quantile(0.975, (double)df);
			double mu = stats_mean(m), var = m->m2 / (m->n - 1);
			double half = t * (var > 0 ? sqrt(var) : 0) / sqrt(m->n);
			e->has_interval = true;
			e->lo = mu - half;
			e->hi = mu + half;
		}
	}
	sort_input = in;
	qsort(out->entries, P, sizeof *out->entries, by_rank);
	for (size_t i = 0; i < P; i++) {
		struct sk_rank_entry *e = &out->entries[i];
		e->rank = i + 1;
		if (i + 1 < P && !isnan(e->score) && !isnan(out->entries[i + 1].score)) {
			const struct sk_rank_entry *f = &out->entries[i + 1];
			double alo = e->has_interval ? e->lo : e->score, ahi = e->has_interval ? e->hi : e->score;
			double blo = f->has_interval ? f->lo : f->score, bhi = f->has_interval ? f->hi : f->score;
			e->tied_with_next = alo <= bhi && blo <= ahi;
		}
	}
out:
	free(val);
	free(pan);
	free(all);
	free(prop);
	free(propn);
	free(units);
	free(minmax);
	free(tcache);
	if (!ok) {
		free(crit_block);
		free(out->entries);
		free(out->alpha_criteria);
		memset(out, 0, sizeof *out);
		return false;
	}
	return true;
}

void sk_rank_result_free(struct sk_rank_result *r)
{
	if (r->n > 0 && r->entries) {
		/* criterion arrays live in one block that starts at the lowest entry pointer */
		double *block = NULL;
		for (size_t i = 0; i < r->n; i++)
			if (block == NULL || r->entries[i].criterion_raw < block)
				block = r->entries[i].criterion_raw;
		free(block);
	}
	free(r->entries);
	free(r->alpha_criteria);
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
