/*
 * The regression runner: a main() that feeds LLVMFuzzerTestOneInput every file under the
 * directories (or the files) given as arguments, so that a corpus, and every crash once found
 * and saved in it, is replayed by the ordinary test build (gcc, ASan+UBSan) without libFuzzer.
 * Each input is copied into a buffer of exactly its size, as libFuzzer does, so that a read
 * past its end is caught. Exits 0 when every input ran; a broken invariant aborts.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t ran;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	ran++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs path, a file or a directory (recursively, in name order). */
static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	if (d == NULL) {
		perror(path);
		return -1;
	}
	char **names = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files such as .gitkeep */
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			char **more = realloc(names, cap * sizeof *names);
			if (more == NULL) {
				rc = -1;
				break;
			}
			names = more;
		}
		size_t need = strlen(path) + strlen(e->d_name) + 2;
		names[count] = malloc(need);
		if (names[count] == NULL) {
			rc = -1;
			break;
		}
		snprintf(names[count], need, "%s/%s", path, e->d_name);
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof *names, cmp_names);
	for (size_t i = 0; i < count; i++) {
		if (rc == 0 && run_path(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) != 0)
			return 1;
	printf("%s: %zu inputs replayed, no invariant broken\n", argv[0], ran);
	if (ran == 0) {
		fprintf(stderr, "%s: no input found: an empty corpus tests nothing\n", argv[0]);
		return 1;
	}
	return 0;
}
