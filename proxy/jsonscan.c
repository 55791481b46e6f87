/*
 * jsonscan.c: a non-recursive JSON syntax checker for one top-level array.
 */
#include <stdint.h>
#include <string.h>

#include "rtcstats/utf8.h"

#include "jsonscan.h"

static inline size_t
skip_ws(const char *s, size_t n, size_t p)
{
	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
		p++;
	return p;
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * The bytes of x (little-endian load) that end a run of plain string
 * characters: '"', '\\', a control character (< 0x20) or a non-ASCII byte
 * (>= 0x80), each flagged by its high bit.  The classic SWAR tests ("has a
 * zero byte", "has a byte less than n") may also flag a byte above a true
 * match, never below one, so the lowest flag is exact.
 */
static inline uint64_t
special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t	q = x ^ (ones * '"');
	uint64_t	b = x ^ (ones * '\\');

	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high;
}

/* p at the opening quote; returns the position after the closing one or 0. */
static size_t
scan_string(const char *s, size_t n, size_t p)
{
	p++;
	for (;;)
	{
		unsigned char c;

		/* Plain characters, eight at a time while eight are left, then one at a time. */
		while (n - p >= 8)
		{
			uint64_t	x,
						m;

			memcpy(&x, s + p, 8);
			m = special8(x);
			if (m)
			{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				p += (size_t) __builtin_ctzll(m) / 8;	/* the first special byte */
#endif
				break;
			}
			p += 8;
		}
		while (p < n && (c = (unsigned char) s[p]) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
			p++;
		if (p >= n)
			return 0;
		c = (unsigned char) s[p];
		if (c == '"')
			return p + 1;
		if (c >= 0x80)
		{
			size_t		l = rtcstats_utf8_seq_len((const unsigned char *) s + p, n - p);

			if (l == 0)
				return 0;
			p += l;
			continue;
		}
		if (c != '\\')
			return 0;			/* a control character */
		if (p + 1 >= n)
			return 0;
		switch (s[p + 1])
		{
			case 'u':
				if (p + 5 >= n || !is_hex(s[p + 2]) || !is_hex(s[p + 3]) ||
					!is_hex(s[p + 4]) || !is_hex(s[p + 5]))
					return 0;
				p += 6;
				break;
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				break;
			default:
				return 0;
		}
	}
}

static size_t
scan_number(const char *s, size_t n, size_t p)
{
	if (p < n && s[p] == '-')
		p++;
	if (p >= n)
		return 0;
	if (s[p] == '0')
		p++;
	else if (s[p] >= '1' && s[p] <= '9')
		while (p < n && is_digit(s[p]))
			p++;
	else
		return 0;
	if (p < n && s[p] == '.')
	{
		p++;
		if (p >= n || !is_digit(s[p]))
			return 0;
		while (p < n && is_digit(s[p]))
			p++;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E'))
	{
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= n || !is_digit(s[p]))
			return 0;
		while (p < n && is_digit(s[p]))
			p++;
	}
	return p;
}

static size_t
scan_literal(const char *s, size_t n, size_t p, const char *lit)
{
	size_t		l = strlen(lit);

	if (n - p < l || memcmp(s + p, lit, l) != 0)
		return 0;
	return p + l;
}

bool
proxy_json_is_array(const char *s, size_t n)
{
	char		stack[PROXY_JSON_MAX_DEPTH];
	int			sp = 0;
	size_t		p = skip_ws(s, n, 0);

	if (p >= n || s[p] != '[')
		return false;

value:
	p = skip_ws(s, n, p);
	if (p >= n)
		return false;
	switch (s[p])
	{
		case '[':
		case '{':
			if (sp >= PROXY_JSON_MAX_DEPTH)
				return false;
			stack[sp++] = s[p];
			p = skip_ws(s, n, p + 1);
			if (p < n && s[p] == (stack[sp - 1] == '[' ? ']' : '}'))
			{
				sp--;
				p++;
				goto after;
			}
			if (stack[sp - 1] == '{')
				goto key;
			goto value;
		case '"':
			p = scan_string(s, n, p);
			break;
		case 't':
			p = scan_literal(s, n, p, "true");
			break;
		case 'f':
			p = scan_literal(s, n, p, "false");
			break;
		case 'n':
			p = scan_literal(s, n, p, "null");
			break;
		default:
			p = scan_number(s, n, p);
			break;
	}
	if (p == 0)
		return false;
	goto after;

key:
	p = skip_ws(s, n, p);
	if (p >= n || s[p] != '"')
		return false;
	p = scan_string(s, n, p);
	if (p == 0)
		return false;
	p = skip_ws(s, n, p);
	if (p >= n || s[p] != ':')
		return false;
	p++;
	goto value;

after:
	p = skip_ws(s, n, p);
	if (sp == 0)
		return p == n;
	if (p >= n)
		return false;
	if (s[p] == ',')
	{
		p++;
		if (stack[sp - 1] == '{')
			goto key;
		goto value;
	}
	if (s[p] == (stack[sp - 1] == '[' ? ']' : '}'))
	{
		sp--;
		p++;
		goto after;
	}
	return false;
}
