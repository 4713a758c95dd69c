/*
 * ranking-bench: times the ranking engine (sk_rank, src/domain/ranking.c) alone on a
 * large synthetic call, for bench/ranking.sh (issue 5). Not installed.
 *
 * The data are deterministic pseudo-random (a fixed-seed splitmix64): P proposals, each
 * reviewed by K distinct panelists drawn from M, C criteria with the default weights of
 * a call (creativity 40, feasibility 35, community applicability 25 when C = 3; equal
 * weights otherwise), every scale 0..10. A proposal has a latent quality, a panelist a
 * leniency and a spread, and each score is quality + leniency + noise, rounded and
 * clamped, so per-panelist normalisation has real work to do.
 *
 * Usage:
 *   ranking-bench [options]                time sk_rank, print the timings and the top
 *   ranking-bench [options] --csv DIR      write DIR/reviews.csv (proposal_id,panelist_id,
 *                                          s1..sC) and DIR/criteria.csv (position,weight,max)
 *                                          for PostgreSQL's COPY, then exit
 * Options:
 *   --proposals P (100000)  --reviews K (5)  --criteria C (3)  --panelists M (200)
 *   --runs R (5)            --top T (10)     --method raw|normalised (normalised)
 *   --seed S (20260525)
 *
 * Output in timing mode (one "key value..." per line, for the script to parse):
 *   data P K C M V             the shape
 *   run I MS CPU_MS            each run of sk_rank_with: wall time (CLOCK_MONOTONIC) and the CPU
 *                              time of the process (CLOCK_PROCESS_CPUTIME_ID), milliseconds.
 *                              All runs share one sk_rank_workspace, as a server thread would:
 *                              run 1 is a first call (it allocates the workspace, and the kernel
 *                              faults in fresh pages); later runs reuse it
 *   median MS                  the median wall time
 *   median_cpu MS              the median CPU time (close to the wall time on an idle core)
 *   rss_before_kib N           peak RSS once the input was generated (getrusage)
 *   rss_peak_kib N             peak RSS of the whole process, ranking included
 *   alpha A                    Krippendorff's alpha of the review score (a sanity figure)
 *   top RANK ID SCORE RAW N    the first T entries (proposal ids are 1..P)
 * Exit status: 0 on success, 1 when sk_rank fails or memory runs out, 2 on bad usage.
 */
#include "domain/ranking.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

struct opts {
	size_t proposals, reviews, criteria, panelists, runs, top;
	uint64_t seed;
	enum sk_rank_method method;
	const char *csv_dir;
};

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double uniform(void)
{
	return (double)(splitmix64() >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n). */
static size_t below(size_t n)
{
	return (size_t)(uniform() * (double)n);
}

static int usage(void)
{
	fprintf(stderr, "usage: ranking-bench [--proposals P] [--reviews K] [--criteria C] [--panelists M] [--runs R]\n"
			"                     [--top T] [--method raw|normalised] [--seed S] [--csv DIR]\n");
	return 2;
}

static bool parse_size(const char *text, size_t min, size_t max, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || end == text || v < min || v > max)
		return false;
	*out = (size_t)v;
	return true;
}

static bool parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ 100000, 5, 3, 200, 5, 10, 20260525, SK_RANK_NORMALISED, NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t seed;
		if (v == NULL)
			return false;
		i++;
		if (!strcmp(a, "--proposals") && parse_size(v, 1, 10000000, &o->proposals))
			continue;
		if (!strcmp(a, "--reviews") && parse_size(v, 1, 1000, &o->reviews))
			continue;
		if (!strcmp(a, "--criteria") && parse_size(v, 1, SK_RANK_MAX_CRITERIA, &o->criteria))
			continue;
		if (!strcmp(a, "--panelists") && parse_size(v, 1, 1000000, &o->panelists))
			continue;
		if (!strcmp(a, "--runs") && parse_size(v, 1, 1000, &o->runs))
			continue;
		if (!strcmp(a, "--top") && parse_size(v, 0, 10000000, &o->top))
			continue;
		if (!strcmp(a, "--seed") && parse_size(v, 0, SIZE_MAX, &seed)) {
			o->seed = seed;
			continue;
		}
		if (!strcmp(a, "--method") && (!strcmp(v, "raw") || !strcmp(v, "normalised"))) {
			o->method = !strcmp(v, "raw") ? SK_RANK_RAW : SK_RANK_NORMALISED;
			continue;
		}
		if (!strcmp(a, "--csv")) {
			o->csv_dir = v;
			continue;
		}
		return false;
	}
	return o->reviews <= o->panelists;
}

struct data {
	struct sk_rank_criterion *crit;
	struct sk_rank_review *rev;
	int *scores;
	int64_t *ids;
	struct sk_rank_input in;
};

/* Generates the call: criteria, reviews (proposal-major), scores and proposal ids. */
static bool generate(const struct opts *o, struct data *d)
{
	size_t P = o->proposals, K = o->reviews, C = o->criteria, M = o->panelists, V = P * K;
	memset(d, 0, sizeof *d);
	d->crit = calloc(C, sizeof *d->crit);
	d->rev = calloc(V, sizeof *d->rev);
	d->scores = calloc(V * C, sizeof *d->scores);
	d->ids = calloc(P, sizeof *d->ids);
	double *leniency = calloc(M, sizeof *leniency), *spread = calloc(M, sizeof *spread);
	size_t *picked = calloc(K, sizeof *picked);
	if (!d->crit || !d->rev || !d->scores || !d->ids || !leniency || !spread || !picked) {
		free(leniency);
		free(spread);
		free(picked);
		return false;
	}
	static const double default_weights[] = { 40, 35, 25 };
	for (size_t c = 0; c < C; c++)
		d->crit[c] = (struct sk_rank_criterion){ C == 3 ? default_weights[c] : 1.0, 10 };
	rng_state = o->seed;
	for (size_t m = 0; m < M; m++) {
		leniency[m] = (uniform() - 0.5) * 3.0; /* -1.5 .. +1.5 points */
		spread[m] = 0.6 + uniform() * 0.8;     /* 0.6 .. 1.4 times the spread of quality */
	}
	size_t v = 0;
	for (size_t p = 0; p < P; p++) {
		d->ids[p] = (int64_t)p + 1;
		double quality = 1.5 + uniform() * 7.0;
		for (size_t k = 0; k < K; k++) {
			size_t m;
			bool again;
			do { /* K distinct panelists */
				m = below(M);
				again = false;
				for (size_t j = 0; j < k; j++)
					again |= picked[j] == m;
			} while (again);
			picked[k] = m;
			int *s = &d->scores[v * C];
			for (size_t c = 0; c < C; c++) {
				double noise = (uniform() + uniform() + uniform() - 1.5) * 1.6;
				double x = 5.0 + (quality - 5.0) * spread[m] + leniency[m] + noise;
				long r = lround(x);
				s[c] = (int)(r < 0 ? 0 : r > d->crit[c].max ? d->crit[c].max : r);
			}
			d->rev[v] = (struct sk_rank_review){ p, m, s };
			v++;
		}
	}
	free(leniency);
	free(spread);
	free(picked);
	d->in = (struct sk_rank_input){ C, P, M, V, d->crit, d->rev, d->ids, o->method };
	return true;
}

static void data_free(struct data *d)
{
	free(d->crit);
	free(d->rev);
	free(d->scores);
	free(d->ids);
}

static int write_csv(const struct opts *o, const struct data *d)
{
	char path[4096];
	mkdir(o->csv_dir, 0755);
	snprintf(path, sizeof path, "%s/criteria.csv", o->csv_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	for (size_t c = 0; c < d->in.ncriteria; c++)
		fprintf(f, "%zu,%.3f,%d\n", c + 1, d->crit[c].weight, d->crit[c].max);
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof path, "%s/reviews.csv", o->csv_dir);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	for (size_t v = 0; v < d->in.nreviews; v++) {
		const struct sk_rank_review *r = &d->rev[v];
		fprintf(f, "%" PRId64 ",%zu", d->ids[r->proposal], r->panelist + 1);
		for (size_t c = 0; c < d->in.ncriteria; c++)
			fprintf(f, ",%d", r->scores[c]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	printf("csv %s %zu reviews\n", o->csv_dir, d->in.nreviews);
	return 0;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of n values (sorts them). */
static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (!parse_args(argc, argv, &o))
		return usage();
	struct data d;
	if (!generate(&o, &d)) {
		fprintf(stderr, "ranking-bench: out of memory generating the data\n");
		data_free(&d);
		return 1;
	}
	if (o.csv_dir) {
		int rc = write_csv(&o, &d);
		data_free(&d);
		return rc;
	}
	printf("data %zu %zu %zu %zu %zu\n", o.proposals, o.reviews, o.criteria, o.panelists, d.in.nreviews);
	printf("rss_before_kib %ld\n", peak_rss_kib());
	double *ms = calloc(o.runs, sizeof *ms), *cpu = calloc(o.runs, sizeof *cpu);
	struct sk_rank_result res = { 0 };
	if (ms == NULL || cpu == NULL) {
		free(ms);
		free(cpu);
		data_free(&d);
		return 1;
	}
	struct sk_rank_workspace *ws = sk_rank_workspace_new();
	if (ws == NULL) {
		free(ms);
		free(cpu);
		data_free(&d);
		return 1;
	}
	for (size_t i = 0; i < o.runs; i++) {
		sk_rank_result_free(&res);
		double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_ms(CLOCK_MONOTONIC);
		bool ok = sk_rank_with(&d.in, ws, &res);
		double t1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
		if (!ok) {
			fprintf(stderr, "ranking-bench: sk_rank failed\n");
			sk_rank_workspace_free(ws);
			free(ms);
			free(cpu);
			data_free(&d);
			return 1;
		}
		ms[i] = t1 - t0;
		cpu[i] = c1 - c0;
		printf("run %zu %.3f %.3f\n", i + 1, ms[i], cpu[i]);
	}
	printf("median %.3f\n", median_of(ms, o.runs));
	printf("median_cpu %.3f\n", median_of(cpu, o.runs));
	printf("rss_peak_kib %ld\n", peak_rss_kib());
	printf("alpha %.6f\n", res.alpha_total);
	for (size_t i = 0; i < o.top && i < res.n; i++) {
		const struct sk_rank_entry *e = &res.entries[i];
		printf("top %zu %" PRId64 " %.9f %.9f %zu\n", e->rank, d.ids[e->proposal], e->score,
		       o.method == SK_RANK_RAW ? e->normalised : e->raw, e->nreviews);
	}
	sk_rank_result_free(&res);
	sk_rank_workspace_free(ws);
	free(ms);
	free(cpu);
	data_free(&d);
	return 0;
}
