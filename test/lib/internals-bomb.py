#!/usr/bin/env python3
"""internals-bomb.py MB OUT: a gzipped webrtc-internals "Create dump" document
of about MB megabytes inflated, nearly all of it in huge stats series (one
peer connection, a few stats ids, JSON texts of small numbers): the shape
that compresses about 300:1 and that a reader building every value as an
object takes to gigabytes.  Used by test/suites/13-bad-input.sh."""
import gzip
import sys

mb, out = float(sys.argv[1]), sys.argv[2]
target = int(mb * 1e6)
ids, props = 4, 8                       # series: ids * props values, ids timestamps
per_series = target // (ids * props)
n = max(1, per_series // 2)             # "0," per value
with gzip.open(out, "wb", compresslevel=6) as f:
    f.write(b'{"timestamp":1700000000000,"UserAgent":"bomb","getUserMedia":[],'
            b'"PeerConnections":{"1":{"rtcConfiguration":"{}","updateLog":[],"stats":{')
    first = True
    for i in range(ids):
        series = [("timestamp", None)] + [("p%d" % k, k) for k in range(props)]
        for name, k in series:
            if not first:
                f.write(b",")
            first = False
            f.write(b'"s%d-%s":{"statsType":"inbound-rtp","values":"[' % (i, name.encode()))
            if k is None:
                # a thousand reports: the values before the first timestamp are read, not reported
                f.write(",".join(str(1700000000000 + v) for v in range(min(n, 1000))).encode())
            else:
                zeros = b"0," * 65536
                left = n - 1
                while left > 0:
                    step = min(left, 65536)
                    f.write(zeros[:2 * step])
                    left -= step
                f.write(b"0")
            f.write(b']"}')
    f.write(b"}}}}")
