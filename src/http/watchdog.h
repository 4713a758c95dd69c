/*
 * The connection watchdog: deadlines for receiving a request, not only an idle timeout.
 *
 * libmicrohttpd 0.9.75 restarts its idle timer on every byte, so a client that trickles one
 * header line every few seconds keeps its connection slot for ever. The watchdog is told when
 * each connection starts and closes (MHD_OPTION_NOTIFY_CONNECTION) and where its current
 * request stands (the access handler and the completion callback tell it), and a thread ends,
 * with shutdown(2), every connection that is past its deadline:
 *   - headers: header_timeout seconds from the connection's start, or from the end of its
 *     previous request on keep-alive, to the end of the request's headers;
 *   - request: body_timeout seconds from the end of the headers until the reply has been sent.
 * When the open connections near the limit, connections still sending headers after a
 * short grace (1 s), uploads slower than a floor rate, and replies still going out after
 * 10 s are ended at once, so that a new client finds a slot even against an attacker with
 * many addresses.
 */
#ifndef SK_HTTP_WATCHDOG_H
#define SK_HTTP_WATCHDOG_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct sk_watchdog;

struct sk_watchdog_limits {
	double header_timeout;  /* seconds */
	double body_timeout;    /* seconds */
	long max_connections;   /* the daemon's connection limit */
	size_t max_fd;          /* file descriptors at or above this are not watched */
};

/* Starts the watchdog's thread. Returns NULL (with a message logged) on failure. */
struct sk_watchdog *sk_watchdog_start(const struct sk_watchdog_limits *limits);

/* Stops the thread and frees the watchdog. Call after the daemon has stopped. NULL is ignored. */
void sk_watchdog_stop(struct sk_watchdog *w);

/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the watchdog. */
void sk_watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code);

/* The request's headers are in (the access handler's first call). */
void sk_watchdog_headers_done(struct sk_watchdog *w, struct MHD_Connection *conn);

/* n more bytes of the request's body arrived. */
void sk_watchdog_body_progress(struct sk_watchdog *w, struct MHD_Connection *conn, size_t n);

/* The whole body is in: the handler runs and the reply goes out. */
void sk_watchdog_body_done(struct sk_watchdog *w, struct MHD_Connection *conn);

/* The request is over (reply sent): the connection waits for the next request's headers. */
void sk_watchdog_request_done(struct sk_watchdog *w, struct MHD_Connection *conn);

#endif
