"""Reads a GET /v1/metrics answer with the Prometheus client's own text
parser (Debian's python3-prometheus-client) and prints what e2e.metrics asks:

  metrics_parse.py FILE value 'name{label="v",...}'  the sample's value ("absent" if none)
  metrics_parse.py FILE labels                       every label value, one per line
  metrics_parse.py FILE check                        exits 1 unless every sample parses

Integral values are printed without a fraction (3, not 3.0). A file the
parser refuses is an error (exit 2), whatever was asked.
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            yield s


def wanted(expr):
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?', expr)
    if not m:
        raise SystemExit("bad sample expression: " + expr)
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    return m.group(1), labels


def shown(v):
    return str(int(v)) if v == int(v) else repr(v)


def main():
    path, what = sys.argv[1], sys.argv[2]
    with open(path) as f:
        text = f.read()
    try:
        parsed = list(samples(text))
    except Exception as e:  # the parser's ValueError and friends
        print("the Prometheus parser refused the answer: %r" % e, file=sys.stderr)
        sys.exit(2)
    if what == "check":
        sys.exit(0 if parsed else 1)
    if what == "labels":
        for s in parsed:
            for v in s.labels.values():
                print(v)
        return
    name, labels = wanted(sys.argv[3])
    for s in parsed:
        if s.name == name and s.labels == labels:
            print(shown(s.value))
            return
    print("absent")


main()
