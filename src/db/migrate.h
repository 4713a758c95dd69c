/* Forward-only SQL migrations from a folder of NNN_name.sql files. */
#ifndef SK_DB_MIGRATE_H
#define SK_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Applies every migration in dir not yet recorded in schema_migrations, in
 * order, each in its own transaction, under an advisory lock so that two
 * processes never migrate at once. Refuses (returns false with a message in
 * err) when a file already applied has changed, or when one fails: that one is
 * rolled back and later ones are not tried. *applied counts what was applied.
 */
bool sk_migrate(const char *url, const char *dir, int *applied, char *err, size_t errsz);

#endif
