#include "http/static.h"

#include "http/reply.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	char etag[80];
	snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strstr(inm, etag) != NULL) {
		close(fd);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "ETag", etag);
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
		sk_reply_queue(req, 304, resp);
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (resp == NULL) {
		close(fd);
		sk_reply_error(req, 500, "internal", NULL, "The file could not be sent.");
		return;
	}
	MHD_add_response_header(resp, "Content-Type", sk_static_mime(real));
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	sk_reply_queue(req, 200, resp);
}
