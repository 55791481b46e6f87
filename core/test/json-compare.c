/*
 * json-compare: compare two JSON documents key by key, the corpus contract
 * of the dump format (section 5): numbers with relative tolerance 1e-9, a
 * missing, extra or different key is a difference.  Prints every difference
 * with its path; exit 0 when equal, 1 when different, 2 on unreadable input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

static int	differences;

static void
report(const char *path, const char *what, json_object *a, json_object *b)
{
	differences++;
	printf("  %s: %s (got %s, want %s)\n", path[0] ? path : "(top)", what,
		   a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : "null",
		   b ? json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN) : "null");
}

static int
is_number(json_object *o)
{
	return o && (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double));
}

static void
compare(json_object *got, json_object *want, const char *path)
{
	char		sub[1024];

	if (is_number(got) && is_number(want))
	{
		double		a = json_object_get_double(got),
					b = json_object_get_double(want);

		if (!(a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b))))
			report(path, "different number", got, want);
		return;
	}
	if (got == NULL || want == NULL)
	{
		if (got != want)
			report(path, "different value", got, want);
		return;
	}
	if (json_object_get_type(got) != json_object_get_type(want))
	{
		report(path, "different type", got, want);
		return;
	}
	switch (json_object_get_type(want))
	{
		case json_type_object:
			json_object_object_foreach(want, key, wv)
			{
				json_object *gv;

				snprintf(sub, sizeof(sub), "%s.%s", path, key);
				if (!json_object_object_get_ex(got, key, &gv))
					report(sub, "missing key", NULL, wv);
				else
					compare(gv, wv, sub);
			}
			json_object_object_foreach(got, key2, gv2)
			{
				snprintf(sub, sizeof(sub), "%s.%s", path, key2);
				if (!json_object_object_get_ex(want, key2, NULL))
					report(sub, "extra key", gv2, NULL);
			}
			break;
		case json_type_array:
			{
				size_t		n = json_object_array_length(want);

				if (json_object_array_length(got) != n)
				{
					snprintf(sub, sizeof(sub), "%s.length", path);
					differences++;
					printf("  %s: got %zu, want %zu\n", sub, json_object_array_length(got), n);
				}
				for (size_t i = 0; i < n && i < json_object_array_length(got); i++)
				{
					snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
					compare(json_object_array_get_idx(got, i), json_object_array_get_idx(want, i), sub);
				}
				break;
			}
		case json_type_string:
			if (strcmp(json_object_get_string(got), json_object_get_string(want)) != 0)
				report(path, "different string", got, want);
			break;
		case json_type_boolean:
			if (json_object_get_boolean(got) != json_object_get_boolean(want))
				report(path, "different boolean", got, want);
			break;
		default:
			break;
	}
}

int
main(int argc, char **argv)
{
	json_object *got,
			   *want;

	if (argc != 3)
	{
		fprintf(stderr, "usage: json-compare GOT.json WANT.json\n");
		return 2;
	}
	got = json_object_from_file(argv[1]);
	want = json_object_from_file(argv[2]);
	if (!got || !want)
	{
		fprintf(stderr, "json-compare: cannot read %s\n", got ? argv[2] : argv[1]);
		return 2;
	}
	compare(got, want, "");
	json_object_put(got);
	json_object_put(want);
	return differences ? 1 : 0;
}
