#!/bin/sh
# nul-dump.sh IN OUT: IN (a corpus dump) with U+0000 written into strings any
# web page controls: the url (with a literal backslash too), the user agent,
# a track id (everywhere it appears: events, SDP, stats), an SDP line, a
# getStats string (the codec's mimeType).  OUT is gzipped, as the proxy
# stores dumps.  Used by sql/nul_strings.sql.
set -eu
sed -e 's|/corpus/av-call?|/corpus/av\\u0000\\\\x-call?|' \
	-e 's|HeadlessChrome|Headless\\u0000Chrome|g' \
	-e 's|aabd2386-3b5b|aabd2386\\u0000-3b5b|g' \
	-e 's|a=rtcp-mux|a=rtcp\\u0000-mux|g' \
	-e 's|audio/opus|audio/\\u0000opus|g' "$1" | gzip -n -c > "$2"
