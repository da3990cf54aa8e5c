#!/usr/bin/env python3
# Every class of DNSSEC defect, injected into peer-signed zones, is reported
# by `sigil verify` with exit 1, naming the owner and type.
#
# Zones: the corpus of tests/tools/mkzones (3 signers x NSEC/NSEC3/NSEC3
# opt-out x algorithms 8/13/15).  Defects: tests/tools/corrupt (see there),
# applied to every zone they apply to.  Expected codes:
#
#   flip-sig           sig-bogus (type = covered type, key tag = ZSK)
#   dup-flip           sig-bogus: one good and one bad RRSIG on an RRset is
#                      an error in strict mode; with --lenient exit 0 and
#                      the same finding as a warning
#   expire-sig         sig-expired
#   drop-sig           rrset-unsigned
#   wrong-key          sig-bogus with the ZSK's key tag (the .de case)
#   two-thirds         sig-bogus for every corrupted RRSIG: as many sig-bogus
#                      findings as corrupted RRSIGs, each one found
#   drop-ksk-sig       dnskey-not-sep-signed at the apex, type DNSKEY
#   drop-nsec3         nsec3-missing (owner: the name or its hash, NSEC3)
#   skip-secure-deleg  nsec3-missing for the secure delegation
#   clear-optout       nsec3-optout for the insecure delegation(s) in the
#                      span (opt-out zones only)
#   wrong-bitmap       nsec-bitmap / nsec3-bitmap
#   sign-glue          sig-unexpected (glue name, type A)
#   unsigned-ds        rrset-unsigned (type DS)
#
# Controls: the tool's round trip ('none') and its own re-signing
# ('resign') leave every zone valid (exit 0), so the defects above are the
# only ones.  Also: flip-sig with --lenient is still an error (the RRset
# has no valid signature left); findings are identical with --threads 1 and
# --threads 2; --ds with a DS that matches no key is ds-no-match; a syntax
# error in the zone file is exit 2 naming the file and line; a missing
# file is exit 2.

import copy
import difflib
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import corruptlib  # noqa: E402
import dnsutil as du  # noqa: E402
import sigiltest as st  # noqa: E402

KINDS = ['flip-sig', 'dup-flip', 'expire-sig', 'drop-sig', 'wrong-key',
         'two-thirds', 'drop-ksk-sig', 'drop-nsec3', 'skip-secure-deleg',
         'clear-optout', 'wrong-bitmap', 'sign-glue', 'unsigned-ds']

tap = st.Tap()
if not st.have_sigil():
    tap.skip_all('no sigil binary at %s (set SIGIL)' % st.SIGIL)
corpus = st.ensure_corpus(tap)
tmp = tempfile.mkdtemp(prefix='sigil-corrupt-')
keep = os.environ.get('SIGIL_TEST_KEEP')
if keep:
    os.makedirs(keep, exist_ok=True)

_zone_cache = {}


def zone_records(zid):
    if zid not in _zone_cache:
        _zone_cache[zid] = du.read_zone(corpus.signed(zid))
    return copy.deepcopy(_zone_cache[zid])


def repro(zid, kind, extra=''):
    meta = corpus.meta(zid)
    return ('reproduce: tests/tools/corrupt %s %s /tmp/%s-%s.zone && '
            '%s verify --json --max-findings 0 --time %d%s /tmp/%s-%s.zone'
            % (kind, os.path.relpath(corpus.signed(zid), st.ROOT), zid, kind,
               st.SIGIL, meta['check_time'], extra, zid, kind))


def keep_file(path, failed):
    if keep:
        shutil.copy(path, keep)
    if failed:
        os.makedirs(st.FAILDIR, exist_ok=True)
        shutil.copy(path, st.FAILDIR)
        return 'kept: %s' % os.path.join(st.FAILDIR, os.path.basename(path))
    return ''


def make(zid, kind):
    """Corrupt zone zid; returns (path, expected lines) or raises."""
    meta = corpus.meta(zid)
    recs = zone_records(zid)
    exp = corruptlib.apply(kind, recs, meta, corpus.zdir(zid))
    path = os.path.join(tmp, '%s-%s.zone' % (zid, kind))
    du.write_zone(recs, path)
    return path, exp


def check_expected(r, exp_lines, severity='error'):
    """Problems (list of strings) matching findings against expectations."""
    probs = []
    for line in exp_lines:
        e = corruptlib.parse_expected(line)
        if not any(st.finding_matches(f, e, severity) for f in r.findings):
            probs.append('missing %s finding: %s' % (severity, line))
    return probs


def case(item):
    """One (zone, kind) case; returns a list of (ok, name, diag)."""
    try:
        return case_(item)
    except Exception:  # a bug in this test: report it as a failure
        import traceback
        return [(False, '%s %s: test ran' % (item[1], item[0]),
                 traceback.format_exc())]


def case_(item):
    zid, kind = item
    meta = corpus.meta(zid)
    t = meta['check_time']
    name = '%s %s' % (kind, zid)
    try:
        path, exp = make(zid, kind)
    except corruptlib.NotApplicable as e:
        return [(False, name + ': corruption applies', str(e))]
    except Exception as e:  # a bug in the test tools: say so
        return [(False, name + ': corruption made', repr(e))]
    out = []

    if kind in ('none', 'resign'):
        r = st.sigil_verify(path, time=t)
        ok = r.rc == 0 and (r.json or {}).get('valid') is True \
            and not r.errors()
        k = keep_file(path, not ok)
        out.append((ok, '%s: control, exit 0 and valid' % name,
                    '\n'.join([r.describe(), repro(zid, kind), k])))
        return out

    r = st.sigil_verify(path, time=t)
    probs = []
    if r.rc != 1:
        probs.append('exit %s, expected 1' % r.rc)
    if (r.json or {}).get('valid') is not False:
        probs.append('"valid" is not false')
    probs += check_expected(r, exp)
    if kind == 'two-thirds':
        n = len([f for f in r.findings if f.get('code') == 'sig-bogus'
                 and f.get('severity') == 'error'])
        if n != len(exp):
            probs.append('%d sig-bogus findings, expected %d (one per '
                         'corrupted RRSIG)' % (n, len(exp)))
        s = (r.json or {}).get('summary') or {}
        if s.get('signatures_invalid') != len(exp):
            probs.append('summary.signatures_invalid = %s, expected %d' % (
                s.get('signatures_invalid'), len(exp)))
        zsk = [k for k in (r.json or {}).get('keys') or []
               if k.get('tag') == meta['zsk_tag']]
        if not zsk or zsk[0].get('invalid') != len(exp):
            probs.append('keys[ZSK %d].invalid = %s, expected %d' % (
                meta['zsk_tag'], zsk[0].get('invalid') if zsk else None,
                len(exp)))
    desc = 'expected %s' % ('%d x sig-bogus' % len(exp)
                            if kind == 'two-thirds' else '; '.join(exp))
    k = keep_file(path, bool(probs))
    out.append((not probs, '%s: exit 1, %s' % (name, desc),
                '\n'.join(probs + [r.describe(), repro(zid, kind), k])))

    if kind == 'dup-flip':
        r = st.sigil_verify(path, '--lenient', time=t)
        probs = []
        if r.rc != 0:
            probs.append('exit %s, expected 0' % r.rc)
        if (r.json or {}).get('valid') is not True:
            probs.append('"valid" is not true')
        probs += check_expected(r, exp, 'warning')
        k = keep_file(path, bool(probs))
        out.append((not probs, '%s --lenient: exit 0, sig-bogus as a warning'
                    % name, '\n'.join(probs + [r.describe(),
                                               repro(zid, kind, ' --lenient'),
                                               k])))
    if kind == 'flip-sig':
        r = st.sigil_verify(path, '--lenient', time=t)
        e = corruptlib.parse_expected(exp[0])
        hit = [f for f in r.errors() if st.canon(f.get('owner')) ==
               st.canon(e['owner']) and f.get('type') == e['type']]
        ok = r.rc == 1 and bool(hit)
        k = keep_file(path, not ok)
        out.append((ok, '%s --lenient: still exit 1, an error at %s %s' % (
            name, e['owner'], e['type']),
            '\n'.join([r.describe(), repro(zid, kind, ' --lenient'), k])))
    return out


# ---------------------------------------------------------------------------

for zid, msg in corpus.failed:
    tap.ok(False, '%s: corpus zone built' % zid, msg)

items = []
for zid in corpus.zones:
    denial = corpus.meta(zid)['denial']
    for kind in ['none', 'resign'] + KINDS:
        if corruptlib.applies(kind, denial):
            items.append((zid, kind))

for results in st.run_parallel(case, items):
    for ok, name, diag in results:
        tap.ok(ok, name, diag)


# --threads 1 and --threads 2 give the same findings (and counts).
def strip_volatile(j):
    j = dict(j or {})
    s = dict(j.get('summary') or {})
    for k in ('threads', 'seconds', 'load_seconds'):
        s.pop(k, None)
    j['summary'] = s
    return j


for zid in [z for z in corpus.zones if z.endswith('-a13')][:3]:
    t = corpus.meta(zid)['check_time']
    path, exp = make(zid, 'two-thirds')
    r1 = st.sigil_verify(path, '--threads', '1', time=t)
    r2 = st.sigil_verify(path, '--threads', '2', time=t)
    same = (r1.json is not None and
            strip_volatile(r1.json) == strip_volatile(r2.json))
    diag = ''
    if not same:
        a = json.dumps(strip_volatile(r1.json), indent=1, sort_keys=True)
        b = json.dumps(strip_volatile(r2.json), indent=1, sort_keys=True)
        diag = '\n'.join(list(difflib.unified_diff(
            a.splitlines(), b.splitlines(), 'threads-1', 'threads-2',
            lineterm=''))[:60])
    tap.ok(same and r1.rc == 1 and len(r1.findings) >= len(exp),
           'two-thirds %s: same report with --threads 1 and --threads 2' % zid,
           diag + '\n' + r1.describe(3) + '\n' + r2.describe(3))

# A DS that matches no DNSKEY of the zone.
zs = corpus.zones
if len(zs) >= 2:
    zid, other = zs[0], zs[1]
    meta = corpus.meta(zid)
    ds = os.path.join(corpus.zdir(other), corpus.meta(other)['ds_file'])
    r = st.sigil_verify(corpus.signed(zid), '--ds', ds,
                        time=meta['check_time'])
    hit = [f for f in r.errors() if f.get('code') == 'ds-no-match']
    tap.ok(r.rc == 1 and hit, '%s with the DS of %s: exit 1, ds-no-match' % (
        zid, other), r.describe())

# Syntax error: exit 2, and stderr names the file and the line.
if zs:
    zid = zs[0]
    # one record per line, so the bad line is not inside a multi-line record
    path0, _ = make(zid, 'none')
    lines = open(path0).read().splitlines(True)
    bad_line = 41
    lines.insert(bad_line - 1, 'www.tld.\t3600\tIN\tA\t192.0.2.300\n')
    path = os.path.join(tmp, 'syntax-error.zone')
    with open(path, 'w') as f:
        f.writelines(lines)
    r = st.sigil_verify(path, time=corpus.meta(zid)['check_time'])
    named = (os.path.basename(path) in r.stderr and
             re.search(r'(?<!\d)%d(?!\d)' % bad_line, r.stderr) is not None)
    tap.ok(r.rc == 2 and named,
           'syntax error at line %d: exit 2, stderr names file and line' %
           bad_line, r.describe())

    r = st.sigil_verify(os.path.join(tmp, 'no-such.zone'))
    tap.ok(r.rc == 2 and 'no-such.zone' in r.stderr,
           'missing zone file: exit 2, stderr names it', r.describe())

shutil.rmtree(tmp, ignore_errors=True)
tap.done()
