/*
 * replay.h: what rtcstats-replay knows about a recorded dump.
 *
 * A format 3 dump (spec section 2) is the server's view of one WebSocket
 * session: the "RTCStatsDump" line and the metadata line are written by the
 * server, every later line is a message exactly as the client sent it, and
 * the last line ["close", null, code, delta] is the server's again.  Replaying
 * means sending the middle part, line by line, as text messages.
 */
#ifndef RTCSTATS_REPLAY_H
#define RTCSTATS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct replay_msg
{
	char	   *data;			/* the line, NUL-terminated, sent verbatim */
	size_t		len;
	double		delta_ms;		/* ms since the previous message (0 for the first) */
} replay_msg;

typedef struct replay_dump
{
	const char *path;
	replay_msg *msgs;
	size_t		n;
	size_t		bytes;			/* sum of the message lengths */
	size_t		max_len;		/* longest message */
	char	   *origin;			/* from the metadata line, or NULL */
	char	   *user_agent;		/* from the metadata line, or NULL */
	int			close_code;		/* from the server's close line, 0 when absent */
} replay_dump;

/*
 * Reads a dump (plain or gzip) into d.  Returns false with a message naming
 * the file and line in errbuf when the file is not a format 3 dump.
 */
bool		replay_dump_load(const char *path, replay_dump *d, char *errbuf, size_t errlen);
void		replay_dump_free(replay_dump *d);

#endif
