/*
 * config.c: the option table and its three sources (file, environment, flags).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

typedef enum opt_type
{
	OPT_STRING,
	OPT_INT,
	OPT_SIZE,
	OPT_BOOL
} opt_type;

typedef struct opt_def
{
	const char *name;
	opt_type	type;
	size_t		offset;
	const char *def;			/* NULL: empty string / computed at load */
	long long	min;
	long long	max;
	const char *unit;
	const char *help;
} opt_def;

#define OFF(f) offsetof(proxy_config, f)

static const opt_def options[] = {
	{"config", OPT_STRING, OFF(config_file), "", 0, 0, "path",
	"configuration file of \"name = value\" lines (also RTCSTATS_PROXY_CONFIG)"},
	{"listen", OPT_STRING, OFF(listen), "127.0.0.1", 0, 0, "address",
	"address to listen on; \"*\" for every interface"},
	{"port", OPT_INT, OFF(port), "8080", 1, 65535, "port",
	"TCP port for HTTP and WebSocket"},
	{"spool-dir", OPT_STRING, OFF(spool_dir), "/var/tmp/rtcstats-proxy", 0, 0, "path",
	"directory of sessions being received or waiting for upload (the queue)"},
	{"storage-url", OPT_STRING, OFF(storage_url), "file:///var/tmp/rtcstats-dumps", 0, 0, "url",
	"where dumps are stored: file:///dir or s3://bucket/prefix"},
	{"s3-endpoint", OPT_STRING, OFF(s3_endpoint), "", 0, 0, "url",
	"S3-compatible endpoint, e.g. http://127.0.0.1:9000; empty for AWS"},
	{"s3-region", OPT_STRING, OFF(s3_region), "us-east-1", 0, 0, "name",
	"S3 region used for signing"},
	{"s3-path-style", OPT_BOOL, OFF(s3_path_style), "false", 0, 0, "bool",
	"address buckets as endpoint/bucket/key instead of bucket.endpoint/key"},
	{"s3-access-key-id", OPT_STRING, OFF(s3_access_key_id), "", 0, 0, "string",
	"S3 access key id (default: environment AWS_ACCESS_KEY_ID)"},
	{"s3-secret-access-key", OPT_STRING, OFF(s3_secret_access_key), "", 0, 0, "string",
	"S3 secret access key (default: environment AWS_SECRET_ACCESS_KEY)"},
	{"dsn", OPT_STRING, OFF(dsn), "", 0, 0, "conninfo",
	"libpq connection string of the database with the rtcstats extension; empty: no database"},
	{"host-identifier", OPT_STRING, OFF(host_identifier), "", 0, 0, "string",
	"value of rtcstats_dumps.host_identifier (default: the host name)"},
	{"jwt-secret", OPT_STRING, OFF(jwt_secret), "", 0, 0, "string",
	"HS256 secret; when set every client needs a valid rtcstats-token"},
	{"jwt-leeway", OPT_INT, OFF(jwt_leeway), "30", 0, 3600, "seconds",
	"clock skew allowed when checking a token's exp and nbf"},
	{"trusted-proxies", OPT_STRING, OFF(trusted_proxies), "", 0, 0, "list",
	"comma-separated addresses or CIDRs whose X-Forwarded-For is believed"},
	{"upload-path", OPT_STRING, OFF(upload_path), "/upload", 0, 0, "path",
	"HTTP path accepting POSTed dumps; empty disables uploads"},
	{"max-message-bytes", OPT_SIZE, OFF(max_message_bytes), "1M", 64, 1LL << 30, "bytes",
	"largest WebSocket message; a larger one closes the session with 1009"},
	/* Below 4 GiB: zlib's avail_in/avail_out are 32-bit (deflate output included). */
	{"max-dump-bytes", OPT_SIZE, OFF(max_dump_bytes), "256M", 1024, 3LL << 30, "bytes",
	"largest dump (session or upload); a session reaching it is closed with 1009"},
	{"max-pending-bytes", OPT_SIZE, OFF(max_pending_bytes), "0", 0, 1LL << 40, "bytes",
	"fragmented messages being reassembled, all sessions together; a session growing past it is closed with 1013; 0: a sixteenth of the memory, 64M to 1G"},
	{"max-connections", OPT_INT, OFF(max_connections), "0", 0, 1000000, "count",
	"concurrent WebSocket sessions; more are closed with 1013; 0: what the open-file limit leaves for sockets"},
	{"header-timeout", OPT_INT, OFF(header_timeout), "10", 1, 3600, "seconds",
	"time a connection has to send its request headers (HTTP or WebSocket handshake)"},
	{"max-uploads", OPT_INT, OFF(max_uploads), "64", 1, 100000, "count",
	"HTTP uploads received or validated at once; more get 503"},
	{"upload-timeout", OPT_INT, OFF(upload_timeout), "60", 1, 86400, "seconds",
	"an HTTP upload's whole body must arrive within this time, else 408"},
	{"max-bad-messages", OPT_INT, OFF(max_bad_messages), "100", 0, INT_MAX, "count",
	"messages that are not a JSON array tolerated per session before closing with 1007"},
	{"idle-timeout", OPT_INT, OFF(idle_timeout), "0", 0, 86400 * 7, "seconds",
	"close a session (1001) after this long without a message; 0: never (rtcstats-js does not reconnect)"},
	{"ping-interval", OPT_INT, OFF(ping_interval), "60", 1, 30000, "seconds",
	"WebSocket ping after this long without a pong; no pong within as long again: the peer is gone (1006)"},
	{"workers", OPT_INT, OFF(workers), "4", 1, 64, "count",
	"pipeline threads (anonymize, gzip, upload, insert)"},
	{"shutdown-timeout", OPT_INT, OFF(shutdown_timeout), "30", 0, 86400, "seconds",
	"on SIGTERM, how long to wait for the queue to drain before exiting"},
	{"retry-max-delay", OPT_INT, OFF(retry_max_delay), "60", 1, 86400, "seconds",
	"cap of the exponential backoff between attempts of a failed upload or insert"},
	{"health-interval", OPT_INT, OFF(health_interval), "5", 1, 3600, "seconds",
	"how often storage and database reachability is checked for /healthcheck"},
	{"gzip-level", OPT_INT, OFF(gzip_level), "6", 1, 9, "level",
	"zlib compression level of stored objects"},
	{"no-anonymize", OPT_BOOL, OFF(no_anonymize), "false", 0, 0, "bool",
	"store dumps and remote addresses without IP obfuscation"},
	{"log-level", OPT_STRING, OFF(log_level), "info", 0, 0, "level",
	"debug, info, warn or error"},
	{"event-loop", OPT_STRING, OFF(event_loop), "libev", 0, 0, "name",
	"libev (epoll, through lws's event-lib plugin) or poll (lws's own loop)"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const opt_def *
find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTIONS; i++)
	{
		const char *o = options[i].name;
		size_t		j;

		/* '_' and '-' are the same in names (config files often use '_'). */
		for (j = 0; j < len && o[j]; j++)
		{
			char		c = name[j] == '_' ? '-' : (char) tolower((unsigned char) name[j]);

			if (c != o[j])
				break;
		}
		if (j == len && o[j] == '\0')
			return &options[i];
	}
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
		!strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
			 !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* An integer with an optional K, M, G (powers of 1024) suffix for sizes. */
static int
parse_number(const char *v, bool size_suffix, long long *out)
{
	char	   *end;
	long long	n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v)
		return -1;
	if (size_suffix && *end)
	{
		int			shift = 0;

		switch (toupper((unsigned char) *end))
		{
			case 'K':
				shift = 10;
				break;
			case 'M':
				shift = 20;
				break;
			case 'G':
				shift = 30;
				break;
			default:
				return -1;
		}
		end++;
		if (toupper((unsigned char) *end) == 'B' || toupper((unsigned char) *end) == 'I')
			end++;
		if (n < 0 || n > (LLONG_MAX >> shift))
			return -1;
		n <<= shift;
	}
	if (*end)
		return -1;
	*out = n;
	return 0;
}

static int
set_option(proxy_config *cfg, const opt_def *o, const char *value, const char *source)
{
	char	   *field = (char *) cfg + o->offset;

	switch (o->type)
	{
		case OPT_STRING:
			{
				char	  **s = (char **) field;
				char	   *copy = strdup(value);

				if (!copy)
					return -1;
				free(*s);
				*s = copy;
				return 0;
			}
		case OPT_BOOL:
			if (parse_bool(value, (bool *) field) == 0)
				return 0;
			fprintf(stderr, "rtcstats-proxy: %s: invalid boolean for %s: \"%s\" (true or false)\n",
					source, o->name, value);
			return -1;
		case OPT_INT:
		case OPT_SIZE:
			{
				long long	n;

				if (parse_number(value, o->type == OPT_SIZE, &n) != 0 ||
					n < o->min || n > o->max)
				{
					fprintf(stderr, "rtcstats-proxy: %s: invalid value for %s: \"%s\" (%s between %lld and %lld)\n",
							source, o->name, value, o->unit, o->min, o->max);
					return -1;
				}
				if (o->type == OPT_INT)
					*(int *) field = (int) n;
				else
					*(size_t *) field = (size_t) n;
				return 0;
			}
	}
	return -1;
}

static char *
trim(char *s)
{
	char	   *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

static int
load_file(proxy_config *cfg, const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;
	int			rc = 0;

	if (!f)
	{
		fprintf(stderr, "rtcstats-proxy: cannot open config file \"%s\": %s\n",
				path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *s,
				   *eq,
				   *key,
				   *value;
		char		where[300];
		const opt_def *o;

		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		eq = strchr(s, '=');
		if (!eq)
		{
			fprintf(stderr, "rtcstats-proxy: %s: expected \"name = value\"\n", where);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		/* Optional quotes around a value that has leading/trailing blanks. */
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"')
		{
			value[strlen(value) - 1] = '\0';
			value++;
		}
		o = find_option(key, strlen(key));
		if (!o || strcmp(o->name, "config") == 0)
		{
			fprintf(stderr, "rtcstats-proxy: %s: unknown option \"%s\"\n", where, key);
			rc = -1;
			break;
		}
		if (set_option(cfg, o, value, where) != 0)
		{
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int
load_env(proxy_config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++)
	{
		char		name[80] = "RTCSTATS_PROXY_";
		size_t		n = strlen(name);
		const char *v;

		for (const char *p = options[i].name; *p && n < sizeof(name) - 1; p++)
			name[n++] = *p == '-' ? '_' : (char) toupper((unsigned char) *p);
		name[n] = '\0';
		v = getenv(name);
		if (v && strcmp(options[i].name, "config") != 0 &&
			set_option(cfg, &options[i], v, name) != 0)
			return -1;
	}
	return 0;
}

void
proxy_config_usage(FILE *out)
{
	fprintf(out,
			"Usage: rtcstats-proxy [OPTION]...\n"
			"Receives rtcstats dumps over WebSocket (rtcstats#5.0) and HTTP POST, spools\n"
			"them, anonymizes, gzips and stores them, and inserts a row into rtcstats_dumps.\n"
			"\n"
			"Each option is a flag --NAME=VALUE (or --NAME VALUE), an environment variable\n"
			"RTCSTATS_PROXY_<NAME> (upper case, '_' for '-') or a line \"NAME = VALUE\" in the\n"
			"config file. Flags override the environment, which overrides the file.\n"
			"Sizes accept K, M, G suffixes (powers of 1024). Boolean flags may omit the value.\n"
			"\n");
	for (size_t i = 0; i < NOPTIONS; i++)
	{
		const opt_def *o = &options[i];
		char		flag[64];

		snprintf(flag, sizeof(flag), "--%s%s%s", o->name,
				 o->type == OPT_BOOL ? "[=BOOL]" : "=", o->type == OPT_BOOL ? "" : o->unit);
		fprintf(out, "  %-34s %s\n", flag, o->help);
		fprintf(out, "  %-34s (default: %s%s%s)\n", "",
				o->def && *o->def ? o->def : "none",
				(o->type == OPT_INT || o->type == OPT_SIZE) ? " " : "",
				(o->type == OPT_INT || o->type == OPT_SIZE) ? o->unit : "");
	}
	fprintf(out,
			"  --help                             print this help and exit\n"
			"  --version                          print the version and exit\n"
			"  --requeue-failed [ID...]           move quarantined dumps (all, or these) from\n"
			"                                     spool-dir/failed back to the queue and exit\n"
			"\n"
			"Endpoints: WebSocket on any path; POST <upload-path>; GET /healthcheck; GET /metrics.\n"
			"Signals: SIGTERM/SIGINT stop accepting, close sessions with 1001 and drain the\n"
			"queue for up to shutdown-timeout; a second signal exits at once.\n");
}

int
proxy_config_load(proxy_config *cfg, int argc, char **argv)
{
	const char *file = getenv("RTCSTATS_PROXY_CONFIG");

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTIONS; i++)
		if (set_option(cfg, &options[i], options[i].def ? options[i].def : "", "default") != 0)
			return -1;

	/* First pass: --help, --version and --config, which decide what else to read. */
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			proxy_config_usage(stdout);
			return 1;
		}
		if (strcmp(argv[i], "--version") == 0)
		{
			printf("rtcstats-proxy %s\n", EXTVERSION);
			return 1;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
	}
	if (file && *file)
	{
		if (set_option(cfg, find_option("config", 6), file, "argv") != 0 ||
			load_file(cfg, file) != 0)
			return -1;
	}
	if (load_env(cfg) != 0)
		return -1;

	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		const char *value;
		const opt_def *o;

		if (strncmp(arg, "--", 2) != 0)
		{
			fprintf(stderr, "rtcstats-proxy: unexpected argument \"%s\" (see --help)\n", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		o = find_option(arg, eq ? (size_t) (eq - arg) : strlen(arg));
		if (!o)
		{
			fprintf(stderr, "rtcstats-proxy: unknown option \"%s\" (see --help)\n", argv[i]);
			return -1;
		}
		if (eq)
			value = eq + 1;
		else if (o->type == OPT_BOOL)
		{
			bool		b;

			/* "--flag", or "--flag VALUE" as every other option takes it */
			if (i + 1 < argc && parse_bool(argv[i + 1], &b) == 0)
				value = argv[++i];
			else
				value = "true";
		}
		else if (i + 1 < argc)
			value = argv[++i];
		else
		{
			fprintf(stderr, "rtcstats-proxy: option --%s needs a value\n", o->name);
			return -1;
		}
		if (strcmp(o->name, "config") == 0)
			continue;
		if (set_option(cfg, o, value, "command line") != 0)
			return -1;
	}

	/* Computed defaults. */
	if (!*cfg->s3_access_key_id && getenv("AWS_ACCESS_KEY_ID"))
		set_option(cfg, find_option("s3-access-key-id", 16), getenv("AWS_ACCESS_KEY_ID"), "env");
	if (!*cfg->s3_secret_access_key && getenv("AWS_SECRET_ACCESS_KEY"))
		set_option(cfg, find_option("s3-secret-access-key", 20),
				   getenv("AWS_SECRET_ACCESS_KEY"), "env");
	if (!*cfg->host_identifier)
	{
		char		host[256] = "";

		if (gethostname(host, sizeof(host) - 1) != 0 || !*host)
			strcpy(host, "rtcstats-proxy");
		set_option(cfg, find_option("host-identifier", 15), host, "default");
	}
	if (*cfg->upload_path && cfg->upload_path[0] != '/')
	{
		fprintf(stderr, "rtcstats-proxy: upload-path must start with '/': \"%s\"\n",
				cfg->upload_path);
		return -1;
	}
	if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
		strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error"))
	{
		fprintf(stderr, "rtcstats-proxy: invalid log-level \"%s\" (debug, info, warn, error)\n",
				cfg->log_level);
		return -1;
	}
	if (strcmp(cfg->event_loop, "libev") != 0 && strcmp(cfg->event_loop, "poll") != 0)
	{
		fprintf(stderr, "rtcstats-proxy: invalid event-loop \"%s\" (libev or poll)\n",
				cfg->event_loop);
		return -1;
	}
	if (!*cfg->spool_dir)
	{
		fprintf(stderr, "rtcstats-proxy: spool-dir must not be empty\n");
		return -1;
	}
	return 0;
}

void
proxy_config_free(proxy_config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++)
	{
		if (options[i].type == OPT_STRING)
		{
			char	  **s = (char **) ((char *) cfg + options[i].offset);

			free(*s);
			*s = NULL;
		}
	}
}
