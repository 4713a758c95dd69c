#include "http/static.h"

#include "http/reply.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const struct {
	const char *ext, *mime;
} mimes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".webp", "image/webp" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".pdf", "application/pdf" },
};

const char *sk_static_mime(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot != NULL)
		for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
			if (strcasecmp(dot, mimes[i].ext) == 0)
				return mimes[i].mime;
	return "application/octet-stream";
}

static void not_found(struct sk_request *req)
{
	sk_reply_error(req, 404, "not_found", NULL, "There is no such page.");
}

/* A path is acceptable when it is absolute and no segment is empty-dot, "..", hidden, or escaped. */
static bool safe_path(const char *path)
{
	if (path[0] != '/' || strlen(path) > 1024)
		return false;
	if (strchr(path, '\\') || strchr(path, '%'))
		return false;
	for (const char *seg = path + 1; *seg;) {
		if (seg[0] == '.')
			return false; /* ".", "..", and hidden files */
		const char *next = strchr(seg, '/');
		if (next == NULL)
			break;
		if (next == seg && next[1] != '\0')
			return false; /* "//" */
		seg = next + 1;
	}
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * Versions of files, kept in memory: for each file (by its resolved path) seen with a given
 * device, inode, size and modification time, a strong ETag (BLAKE2b of its bytes, so a redeploy
 * of the same bytes keeps it) and, for text types, a gzip copy made once. A file whose stat
 * changes is read again. Files over MAX_CACHED bytes are not kept (tag from size and time).
 */
#define CACHE_SLOTS 128
#define MAX_CACHED (2u << 20)

struct version {
	char etag[40], gz_etag[44];
	unsigned char *gz; /* a copy for the caller (malloc'd), or NULL */
	size_t gz_len;
};

static struct slot {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	char etag[40], gz_etag[44];
	unsigned char *gz;
	size_t gz_len;
} cache[CACHE_SLOTS];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool compressible(const char *mime)
{
	return strncmp(mime, "text/", 5) == 0 || strncmp(mime, "application/json", 16) == 0 ||
	       strcmp(mime, "image/svg+xml") == 0 || strcmp(mime, "application/manifest+json") == 0;
}

/* len bytes as gzip (level 9: once per file version) into a malloc'd *out; false when zlib fails. */
static bool gzip_bytes(const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *buf = malloc(cap);
	bool ok = buf != NULL;
	if (ok) {
		z.next_in = (unsigned char *)in;
		z.avail_in = (uInt)len;
		z.next_out = buf;
		z.avail_out = (uInt)cap;
		ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
	}
	deflateEnd(&z);
	if (!ok) {
		free(buf);
		return false;
	}
	*out = buf;
	*outlen = z.total_out;
	return true;
}

static bool same_stat(const struct slot *c, const struct stat *st)
{
	return c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
	       c->mtim.tv_sec == st->st_mtim.tv_sec && c->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Fills *v from the slot (copying the gzip bytes); false when out of memory. */
static bool copy_out(const struct slot *c, struct version *v)
{
	memcpy(v->etag, c->etag, sizeof v->etag);
	memcpy(v->gz_etag, c->gz_etag, sizeof v->gz_etag);
	v->gz = NULL;
	v->gz_len = 0;
	if (c->gz != NULL) {
		v->gz = malloc(c->gz_len);
		if (v->gz == NULL)
			return false;
		memcpy(v->gz, c->gz, c->gz_len);
		v->gz_len = c->gz_len;
	}
	return true;
}

/* The version of the open file fd (stat st) at real; false when it is not kept (too large, I/O error). */
static bool version_of(const char *real, int fd, const struct stat *st, struct version *v)
{
	v->gz = NULL;
	if ((uintmax_t)st->st_size > MAX_CACHED)
		return false;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].path && strcmp(cache[i].path, real) == 0 && same_stat(&cache[i], st)) {
			bool ok = copy_out(&cache[i], v);
			pthread_mutex_unlock(&cache_lock);
			return ok;
		}
	pthread_mutex_unlock(&cache_lock);

	/* Not known: read it (outside the lock), hash it, compress it. */
	size_t len = (size_t)st->st_size;
	unsigned char *bytes = malloc(len ? len : 1);
	if (bytes == NULL)
		return false;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, bytes + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct stat after;
	if (got != len || fstat(fd, &after) != 0 || after.st_size != st->st_size ||
	    after.st_mtim.tv_sec != st->st_mtim.tv_sec || after.st_mtim.tv_nsec != st->st_mtim.tv_nsec) {
		free(bytes); /* changed while being read: no tag from a mix */
		return false;
	}
	struct slot n = { .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size, .mtim = st->st_mtim };
	unsigned char h[16];
	char hex[33];
	crypto_generichash(h, sizeof h, bytes, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(n.etag, sizeof n.etag, "\"%s\"", hex);
	snprintf(n.gz_etag, sizeof n.gz_etag, "\"%s-gz\"", hex);
	if (len > 0 && compressible(sk_static_mime(real)) && gzip_bytes(bytes, len, &n.gz, &n.gz_len) &&
	    n.gz_len >= len) {
		free(n.gz); /* no gain */
		n.gz = NULL;
	}
	free(bytes);
	n.path = strdup(real);
	bool ok = n.path != NULL && copy_out(&n, v);
	if (n.path == NULL) {
		free(n.gz);
		return ok;
	}
	pthread_mutex_lock(&cache_lock);
	int at = -1;
	for (int i = 0; i < CACHE_SLOTS && at < 0; i++)
		if (cache[i].path && strcmp(cache[i].path, real) == 0)
			at = i; /* the older version of this file */
	if (at < 0)
		at = (int)(cache_next++ % CACHE_SLOTS);
	struct slot old = cache[at];
	cache[at] = n;
	pthread_mutex_unlock(&cache_lock);
	free(old.path);
	free(old.gz);
	return ok;
}

void sk_static_serve(struct sk_request *req)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		sk_reply_header(req, "Allow", "GET, HEAD");
		sk_reply_error(req, 405, "method_not_allowed", NULL, "Pages can only be read (GET).");
		return;
	}
	const char *root = req->srv->frontend_real;
	if (root[0] == '\0' || !safe_path(req->url)) {
		not_found(req);
		return;
	}
	char path[PATH_MAX], real[PATH_MAX];
	size_t ulen = strlen(req->url);
	int n = snprintf(path, sizeof path, "%s%s%s", root, req->url,
			 req->url[ulen - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof path || realpath(path, real) == NULL) {
		not_found(req);
		return;
	}
	/* The file, symlinks resolved, must still be inside the folder. */
	size_t rlen = strlen(root);
	if (strncmp(real, root, rlen) != 0 || real[rlen] != '/') {
		not_found(req);
		return;
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		not_found(req);
		return;
	}
	struct version v;
	bool gz = false;
	if (!version_of(real, fd, &st, &v)) {
		/* Too large to keep in memory, or unreadable just now: a tag from size and time, as is. */
		snprintf(v.etag, sizeof v.etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
			 (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	} else {
		gz = v.gz != NULL && sk_wants_gzip(req);
	}
	const char *etag = gz ? v.gz_etag : v.etag;
	if (sk_if_none_match(req, etag)) {
		close(fd);
		free(v.gz);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "ETag", etag);
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
		sk_reply_queue(req, 304, resp);
		return;
	}
	struct MHD_Response *resp;
	if (gz) {
		close(fd);
		resp = MHD_create_response_from_buffer(v.gz_len, v.gz, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(v.gz);
		v.gz = NULL;
	} else {
		free(v.gz);
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (resp == NULL)
			close(fd);
	}
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The file could not be sent.");
		return;
	}
	MHD_add_response_header(resp, "Content-Type", sk_static_mime(real));
	if (gz)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	sk_reply_queue(req, 200, resp);
}
