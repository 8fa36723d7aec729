"""Builds the small test fixture crates/rebuy/tests/fixtures/retail_sample.csv from the
real UCI Online Retail II sheet (CC BY 4.0, Chen 2019): real lines of a few customers,
plus lines that exercise every cleaning rule, plus two hand-broken lines.

Run: python make_fixture.py /path/to/online_retail_II_2009_2010.csv.gz OUT.csv
"""
import csv, gzip, sys

src, out = sys.argv[1], sys.argv[2]
customers = {"13085", "16321", "12682", "18087", "14911", "13078", "15311", "17850"}
rows, missing, post, zero, pound = [], [], [], [], []
with gzip.open(src, "rt", encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    for r in reader:
        cust = r[6]
        if "£" in r[2] and len(pound) < 1:
            pound.append(r)
        elif cust in customers and len([x for x in rows if x[6] == cust]) < 25:
            rows.append(r)
        elif cust == "" and len(missing) < 20:
            missing.append(r)
        elif r[1] in ("POST", "M") and cust in customers and len(post) < 5:
            post.append(r)
        elif r[5] in ("0", "0.0") and len(zero) < 3:
            zero.append(r)
lines = rows + missing + post + zero + pound
lines += [rows[3], rows[10], rows[40], rows[41], rows[90]]  # exact duplicates
lines.sort(key=lambda r: (r[4], r[0]))
broken = [
    ["489999", "22423", "REGENCY CAKESTAND 3 TIER", "2", "not a date", "12.75", "13085", "United Kingdom"],
    ["489998", "22423", "REGENCY CAKESTAND 3 TIER", "two", "2010-01-05 10:00:00", "12.75", "13085", "United Kingdom"],
    ["489997", "22423", "REGENCY CAKESTAND 3 TIER", "-3", "2010-01-05 10:00:00", "12.75", "13085", "United Kingdom"],
    ["489996", "22423", "REGENCY CAKESTAND 3 TIER", "1", "2010-01-05 10:00:00", "0", "13085", "United Kingdom"],
    ["489995", "22423", "REGENCY CAKESTAND 3 TIER", "1", "2010-01-06 11:00:00", "12.75", "13085.0", "United Kingdom"],
]
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(lines[: len(lines) // 2] + broken + lines[len(lines) // 2 :])
print(len(lines) + len(broken), "lines")
