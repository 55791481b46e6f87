/*
 * config.h: every option of rtcstats-proxy, from one table.
 *
 * Sources in increasing precedence: built-in defaults, the config file
 * (--config FILE or RTCSTATS_PROXY_CONFIG; "name = value" lines), environment
 * variables RTCSTATS_PROXY_<NAME> (upper case, '-' as '_'), command-line flags
 * --name=value or --name value.  --help prints the table; docs/proxy.md lists
 * the same names (checked by test/suites/25-proxy.sh).
 */
#ifndef RTCSTATS_PROXY_CONFIG_H
#define RTCSTATS_PROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct proxy_config
{
	char	   *listen;				/* address to bind, "" or "*" for all */
	int			port;
	char	   *spool_dir;
	char	   *storage_url;
	char	   *s3_endpoint;
	char	   *s3_region;
	bool		s3_path_style;
	char	   *s3_access_key_id;
	char	   *s3_secret_access_key;
	char	   *dsn;				/* "" = no database */
	char	   *host_identifier;
	char	   *jwt_secret;			/* "" = no authentication */
	int			jwt_leeway;			/* seconds */
	char	   *trusted_proxies;	/* comma-separated addresses or CIDRs */
	char	   *upload_path;		/* "" = HTTP upload disabled */
	size_t		max_message_bytes;
	size_t		max_dump_bytes;
	size_t		max_pending_bytes;	/* reassembly across sessions, 0 = derived */
	int			max_uploads;
	int			upload_timeout;		/* seconds */
	int			max_connections;
	int			max_bad_messages;
	int			idle_timeout;		/* seconds, 0 = none */
	int			header_timeout;		/* seconds */
	int			ping_interval;		/* seconds */
	int			workers;
	int			shutdown_timeout;	/* seconds */
	int			retry_max_delay;	/* seconds */
	int			health_interval;	/* seconds */
	int			gzip_level;
	bool		no_anonymize;
	char	   *log_level;
	char	   *event_loop;		/* "libev" or "poll" */
	char	   *config_file;
} proxy_config;

/*
 * Fills cfg from defaults, file, environment and argv.  Returns 0 to run,
 * 1 when --help or --version was printed (exit 0), -1 on error (message on
 * stderr, exit 2).
 */
int			proxy_config_load(proxy_config *cfg, int argc, char **argv);
void		proxy_config_free(proxy_config *cfg);
void		proxy_config_usage(FILE *out);

#endif
