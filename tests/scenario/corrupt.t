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
# Then the same defects at other kinds of names (VARIANTS below): a
# mixed-case owner, a wildcard, glue two labels below the cut, occluded
# data, the NSEC/NSEC3 RRSIG itself, the DS bit of a secure delegation's
# bitmap, an empty non-terminal above a secure delegation, delegations
# below empty non-terminals; and wrong-key-referral, the .de failure
# itself: the NSEC3 (NSEC) that proves a referral to an insecure
# delegation signed by the wrong key -> sig-bogus on that NSEC3 (NSEC).
#
# Controls: the tool's round trip ('none') and its own re-signing
# ('resign') leave every zone valid (exit 0), so the defects above are the
# only ones.  As an oracle for the corruption tool, Knot's kzonecheck must
# reject every corrupted zone and accept the controls.
#
# Also: flip-sig with --lenient is still an error (the RRset has no valid
# signature left); drop-ksk-sig with --ds and --lenient is still an error
# (ds-no-match); findings are identical with --threads 1 and --threads 2;
# --ds with a DS that matches no key is ds-no-match; a syntax error in the
# zone file is exit 2 naming the file and line; a missing file is exit 2.
#
# A failing case prints the command that reproduces it and keeps its zone
# in build/test-failures/corrupt/.

import copy
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import corruptlib  # noqa: E402
import dnsutil as du  # noqa: E402
import sigiltest as st  # noqa: E402

KINDS = ['flip-sig', 'dup-flip', 'expire-sig', 'drop-sig', 'wrong-key',
         'two-thirds', 'drop-ksk-sig', 'drop-nsec3', 'skip-secure-deleg',
         'clear-optout', 'wrong-bitmap', 'sign-glue', 'unsigned-ds']

# The same defects at other kinds of names: (kind, owner, type, denial
# modes it applies to).  Owner "hash:NAME" is the NSEC3 owner of NAME.
VARIANTS = [
    ('flip-sig', 'mixedcase', 'TXT', 'all'),      # mixed-case owner
    ('expire-sig', '*.wild', 'A', 'all'),         # wildcard
    ('wrong-key-referral', None, None, 'all'),    # .de: the referral proof
    ('sign-glue', 'ns.sub.dom06', 'A', 'all'),    # glue two labels down
    ('sign-glue', 'www.dom02', 'A', 'all'),       # occluded, not glue
    ('drop-sig', 'www', 'NSEC', 'nsec'),
    ('drop-sig', 'hash:www', 'NSEC3', 'nsec3'),
    ('wrong-bitmap', 'dom04', 'DS', 'all'),       # denies an existing DS
    ('drop-nsec3', 'ent-secure', None, 'nsec3'),  # ENT above a secure deleg.
    ('skip-secure-deleg', 'sub.ent-secure', None, 'nsec3'),
    ('clear-optout', 'sub.ent-insecure', None, 'optout'),
]


def variant_applies(which, denial):
    return {'all': True, 'nsec': denial == 'nsec',
            'nsec3': denial != 'nsec',
            'optout': denial == 'nsec3-optout'}[which]


tap = st.Tap()
if not st.have_sigil():
    tap.bail('no sigil binary at %s (set SIGIL)' % st.SIGIL)
corpus = st.ensure_corpus(tap)
tmp = tempfile.mkdtemp(prefix='sigil-corrupt-')
FAILDIR = os.path.join(st.FAILDIR, 'corrupt')
shutil.rmtree(FAILDIR, ignore_errors=True)
keep = os.environ.get('SIGIL_TEST_KEEP')
if keep:
    os.makedirs(keep, exist_ok=True)

_zone_cache = {}


def zone_records(zid):
    if zid not in _zone_cache:
        _zone_cache[zid] = du.read_zone(corpus.signed(zid))
    return copy.deepcopy(_zone_cache[zid])


def label(kind, owner=None, rtype=None):
    if owner or rtype:
        return '%s(%s)' % (kind, ' '.join(x for x in (owner, rtype) if x))
    return kind


def fname(zid, kind, owner=None, rtype=None):
    f = '%s-%s' % (zid, kind)
    for x in (owner, rtype):
        if x:
            f += '-' + x.replace('*', 'star').replace(':', '_')
    return f + '.zone'


def repro(zid, kind, extra='', owner=None, rtype=None):
    meta = corpus.meta(zid)
    opts = ''
    if owner:
        opts += " --owner '%s'" % owner
    if rtype:
        opts += ' --type %s' % rtype
    f = '/tmp/' + fname(zid, kind, owner, rtype)
    return ('reproduce: tests/tools/corrupt%s %s %s %s && '
            '%s verify --json --max-findings 0 --time %d%s %s'
            % (opts, kind, os.path.relpath(corpus.signed(zid), st.ROOT), f,
               st.SIGIL, meta['check_time'], extra, f))


def keep_file(path, failed):
    if keep:
        shutil.copy(path, keep)
    if failed:
        os.makedirs(FAILDIR, exist_ok=True)
        shutil.copy(path, FAILDIR)
        return 'kept: %s' % os.path.join(FAILDIR, os.path.basename(path))
    return ''


def make(zid, kind, owner=None, rtype=None):
    """Corrupt zone zid; returns (path, expected lines) or raises."""
    meta = corpus.meta(zid)
    recs = zone_records(zid)
    exp = corruptlib.apply(kind, recs, meta, corpus.zdir(zid), owner, rtype)
    path = os.path.join(tmp, fname(zid, kind, owner, rtype))
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
        return case_(*item)
    except Exception:  # a bug in this test: report it as a failure
        import traceback
        return [(False, '%s %s: test ran' % (label(*item[1:]), item[0]),
                 traceback.format_exc())]


def case_(zid, kind, owner=None, rtype=None):
    meta = corpus.meta(zid)
    t = meta['check_time']
    name = '%s %s' % (label(kind, owner, rtype), zid)

    def repro_(extra=''):
        return repro(zid, kind, extra, owner, rtype)
    try:
        path, exp = make(zid, kind, owner, rtype)
    except corruptlib.NotApplicable as e:
        return [(False, name + ': corruption applies', str(e))]
    except Exception as e:  # a bug in the test tools: say so
        return [(False, name + ': corruption made', repr(e))]
    out = []

    # The peer oracle: kzonecheck must agree that the zone is (in)valid.
    kc = subprocess.run(['kzonecheck', '-o', meta['zone'], '-d', 'on',
                         '-t', str(t), path], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
    control = kind in ('none', 'resign')
    out.append(((kc.returncode == 0) == control, '%s: kzonecheck %s it' % (
        name, 'accepts' if control else 'rejects'),
        kc.stdout.decode(errors='replace')[-2000:]))

    if kind in ('none', 'resign'):
        r = st.sigil_verify(path, time=t)
        ok = r.rc == 0 and (r.json or {}).get('valid') is True \
            and not r.errors()
        k = keep_file(path, not ok)
        out.append((ok, '%s: control, exit 0 and valid' % name,
                    '\n'.join([r.describe(), repro_(), k])))
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
                '\n'.join(probs + [r.describe(), repro_(), k])))

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
                                               repro_(' --lenient'),
                                               k])))
    if kind == 'drop-ksk-sig':
        # With the parent's DS, the chain of trust needs the DS's key (the
        # KSK) to sign the DNSKEY RRset: an error even with --lenient.
        ds = os.path.join(corpus.zdir(zid), meta['ds_file'])
        r = st.sigil_verify(path, '--ds', ds, '--lenient', time=t)
        hit = [f for f in r.errors() if f.get('code') == 'ds-no-match']
        ok = r.rc == 1 and bool(hit)
        k = keep_file(path, not ok)
        out.append((ok, '%s --ds --lenient: exit 1, ds-no-match' % name,
                    '\n'.join([r.describe(), repro_(
                        ' --lenient --ds %s' % os.path.relpath(ds, st.ROOT)),
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
            '\n'.join([r.describe(), repro_(' --lenient'), k])))
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
    for kind, owner, rtype, which in VARIANTS:
        if variant_applies(which, denial):
            items.append((zid, kind, owner, rtype))

for results in st.run_parallel(case, items):
    for ok, name, diag in results:
        tap.ok(ok, name, diag)


# --threads 1 and --threads 2 give the same findings (and counts); only
# the "run" object (threads, timings, memory) may differ.
def strip_volatile(j):
    j = dict(j or {})
    j.pop('run', None)
    return j


# one zone per signer, each with another denial mode and algorithm
for zid in [z for z in ('bind-nsec3-optout-a13', 'ldns-nsec3-a8',
                        'knot-nsec-a15') if z in corpus.zones]:
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

    # inside a multi-line record of dnssec-signzone's own output: the SOA
    # serial line (either that line or the record's first line is right)
    bz = [z for z in zs if z.startswith('bind-')]
    if bz:
        lines = open(corpus.signed(bz[0])).read().splitlines(True)
        i = [n for n, l in enumerate(lines) if '; serial' in l][0]
        start = max(n for n in range(i + 1) if 'SOA' in lines[n])
        lines[i] = re.sub(r'\d+ ; serial', '20260505x1 ; serial', lines[i])
        path = os.path.join(tmp, 'syntax-error-multiline.zone')
        with open(path, 'w') as f:
            f.writelines(lines)
        r = st.sigil_verify(path, time=corpus.meta(bz[0])['check_time'])
        named = (os.path.basename(path) in r.stderr and any(
            re.search(r'(?<!\d)%d(?!\d)' % (n + 1), r.stderr)
            for n in (i, start)))
        tap.ok(r.rc == 2 and named,
               'syntax error in a multi-line record (line %d, record from '
               'line %d): exit 2, stderr names file and line' % (i + 1,
                                                                 start + 1),
               r.describe())

    r = st.sigil_verify(os.path.join(tmp, 'no-such.zone'))
    tap.ok(r.rc == 2 and 'no-such.zone' in r.stderr,
           'missing zone file: exit 2, stderr names it', r.describe())

shutil.rmtree(tmp, ignore_errors=True)
tap.done()
