"""The corruptions of tests/tools/corrupt, as a module (the scenario
tests import it to avoid a process per corruption).  See corrupt for the
list of kinds and what each one must make a validator report."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import dnsutil as du  # noqa: E402

RRSIG, NSEC, NSEC3, DNSKEY, DS, NS = 46, 47, 50, 48, 43, 2


class NotApplicable(Exception):
    pass


class Zone:
    def __init__(self, recs, meta, metadir):
        """recs: the zone's records (du.read_zone); they are modified in
        place.  meta: the zone's meta.json; metadir: its directory."""
        self.recs = recs
        self.meta = meta
        self.metadir = metadir
        self.apex = du.canon_name(meta['zone'])
        self.check_time = int(meta['check_time'])
        self.keys = {}
        for k in meta['keys']:
            self.keys[k['role']] = k
        self.dnskeys = {du.key_tag(r.rdata): r.rdata for r in self.recs
                        if r.rtype == DNSKEY and r.key == self.apex}
        self.alg = int(meta['algorithm'])
        self.out = []          # expected findings
        self._rogue_checked = False

    # -- lookups ----------------------------------------------------------
    def pem(self, role):
        return os.path.join(self.metadir, self.keys[role]['pem'])

    def tag(self, role):
        return int(self.keys[role]['tag'])

    def rrset(self, owner, rtype):
        o = du.canon_name(owner)
        return [r for r in self.recs if r.key == o and r.rtype == rtype]

    def sigs(self, owner, rtype, tag=None):
        o = du.canon_name(owner)
        res = []
        for r in self.recs:
            if r.rtype == RRSIG and r.key == o:
                s = du.Rrsig.parse(r.rdata)
                if s.covered == rtype and (tag is None or s.key_tag == tag):
                    res.append(r)
        return res

    def one_sig(self, owner, rtype, tag):
        s = self.sigs(owner, rtype, tag)
        if len(s) != 1:
            raise NotApplicable('%d RRSIG(s) by key %d over %s %s' % (
                len(s), tag, owner, du.type_name(rtype)))
        return s[0]

    def remove(self, recs):
        ids = set(map(id, recs))
        self.recs[:] = [r for r in self.recs if id(r) not in ids]

    def nsec3params(self):
        p = [r for r in self.recs if r.rtype == 51 and r.key == self.apex]
        if not p:
            raise NotApplicable('not an NSEC3 zone')
        _, _, it, salt = du.nsec3param_parse(p[0].rdata)
        return salt, it

    def nsec3_owner(self, name):
        salt, it = self.nsec3params()
        h = du.nsec3_hash(name, salt, it)
        return du.b32hex(h) + '.' + self.apex, h

    def nsec3_records(self):
        return [r for r in self.recs if r.rtype == NSEC3]

    def delegations(self):
        """Delegation points (canonical names) and whether they have DS."""
        ns_owners = {r.key for r in self.recs
                     if r.rtype == NS and r.key != self.apex}
        cuts = set()
        for o in ns_owners:
            # below another cut: occluded, not a delegation
            if not any(o != c and du.is_subdomain(o, c) for c in ns_owners):
                cuts.add(o)
        ds_owners = {r.key for r in self.recs if r.rtype == DS}
        return {c: (c in ds_owners) for c in cuts}

    # -- signing ----------------------------------------------------------
    def resign(self, sigrec, role='zsk', **fields):
        """Re-make the signature of RRSIG record sigrec over the current
        RRset with the key `role`, after changing header fields."""
        s = du.Rrsig.parse(sigrec.rdata)
        for k, v in fields.items():
            setattr(s, k, v)
        rrset = self.rrset(sigrec.owner, s.covered)
        data = du.signing_input(s, rrset)
        s.signature = du.sign(s.alg, self.pem(role), data)
        dnskey = self.dnskeys[self.tag(role)]
        if not du.verify(dnskey, data, s.signature):
            raise RuntimeError('self-check: new signature over %s %s does '
                               'not verify' % (sigrec.owner,
                                               du.type_name(s.covered)))
        sigrec.rdata = s.rdata()

    def new_sig(self, owner, rtype, role='zsk'):
        """A fresh, valid RRSIG record over owner/rtype by key `role`,
        with the validity window of the zone's other signatures."""
        tmpl = None
        for r in self.recs:
            if r.rtype == RRSIG:
                s = du.Rrsig.parse(r.rdata)
                if s.key_tag == self.tag(role):
                    tmpl = s
                    break
        rrset = self.rrset(owner, rtype)
        if not rrset:
            raise NotApplicable('no %s RRset at %s' % (du.type_name(rtype),
                                                      owner))
        s = du.Rrsig(rtype, self.alg, du.name_label_count(owner),
                     rrset[0].ttl, tmpl.expiration, tmpl.inception,
                     self.tag(role), du.name_to_wire(self.apex), b'')
        rec = du.Rec(rrset[0].owner, rrset[0].ttl, rrset[0].cls, RRSIG,
                     s.rdata())
        self.recs.insert(self.recs.index(rrset[-1]) + 1, rec)
        self.resign(rec, role)
        return rec

    def rogue_sign(self, sigrec):
        """Replace the signature by one made with the rogue key (same
        algorithm, never published); the key tag field is unchanged."""
        s = du.Rrsig.parse(sigrec.rdata)
        rogue = os.path.join(self.metadir, self.meta['rogue_pem'])
        data = du.signing_input(s, self.rrset(sigrec.owner, s.covered))
        s.signature = du.sign(s.alg, rogue, data)
        if not self._rogue_checked:     # once is enough, it's slow
            if du.verify(self.dnskeys[s.key_tag], data, s.signature):
                raise RuntimeError('self-check: rogue signature verifies')
            spki = du.pem_public_der(rogue)
            if not du.verify_spki(spki, s.alg, data, s.signature):
                raise RuntimeError('self-check: rogue signature is broken')
            self._rogue_checked = True
        sigrec.rdata = s.rdata()

    # -- output -----------------------------------------------------------
    def expect(self, owner, rtype, code, **attrs):
        t = rtype if isinstance(rtype, str) else du.type_name(rtype)
        line = '%s %s %s' % (du.canon_name(owner), t, code)
        for k, v in attrs.items():
            line += ' %s=%s' % (k, v)
        self.out.append(line)


def flip_bit(sig):
    b = bytearray(sig)
    b[len(b) // 2] ^= 0x10
    return bytes(b)


# ---------------------------------------------------------------------------
# The corruptions

def c_flip_sig(z, owner, rtype):
    owner, rtype = owner or 'www.' + z.apex, rtype or 1
    rec = z.one_sig(owner, rtype, z.tag('zsk'))
    s = du.Rrsig.parse(rec.rdata)
    s.signature = flip_bit(s.signature)
    rec.rdata = s.rdata()
    z.expect(owner, rtype, 'sig-bogus', key_tag=z.tag('zsk'))


def c_dup_flip(z, owner, rtype):
    owner, rtype = owner or 'www.' + z.apex, rtype or 1
    rec = z.one_sig(owner, rtype, z.tag('zsk'))
    dup = rec.copy()
    s = du.Rrsig.parse(dup.rdata)
    s.signature = flip_bit(s.signature)
    dup.rdata = s.rdata()
    z.recs.insert(z.recs.index(rec) + 1, dup)
    z.expect(owner, rtype, 'sig-bogus', key_tag=z.tag('zsk'))


def c_expire_sig(z, owner, rtype):
    owner, rtype = owner or 'www.' + z.apex, rtype or 28
    rec = z.one_sig(owner, rtype, z.tag('zsk'))
    z.resign(rec, 'zsk', inception=z.check_time - 10 * 86400,
             expiration=z.check_time - 86400)
    z.expect(owner, rtype, 'sig-expired', key_tag=z.tag('zsk'))


def c_drop_sig(z, owner, rtype):
    owner, rtype = owner or 'alias.' + z.apex, rtype or 5
    sigs = z.sigs(owner, rtype)
    if not sigs:
        raise NotApplicable('no RRSIG over %s %s' % (owner, rtype))
    z.remove(sigs)
    z.expect(owner, rtype, 'rrset-unsigned')


def c_wrong_key(z, owner, rtype):
    owner, rtype = owner or z.apex, rtype or 15
    rec = z.one_sig(owner, rtype, z.tag('zsk'))
    z.rogue_sign(rec)
    z.expect(owner, rtype, 'sig-bogus', key_tag=z.tag('zsk'))


def c_two_thirds(z, owner, rtype):
    zsk = z.tag('zsk')
    mine = [r for r in z.recs if r.rtype == RRSIG
            and du.Rrsig.parse(r.rdata).key_tag == zsk]
    for i, rec in enumerate(mine):
        if i % 3 == 2:
            continue
        z.rogue_sign(rec)
        z.expect(rec.owner, du.Rrsig.parse(rec.rdata).covered, 'sig-bogus',
                 key_tag=zsk)


def c_drop_ksk_sig(z, owner, rtype):
    rec = z.one_sig(z.apex, DNSKEY, z.tag('ksk'))
    z.remove([rec])
    z.expect(z.apex, DNSKEY, 'dnskey-not-sep-signed')


def c_drop_nsec3(z, owner, rtype):
    owner = owner or 'www.' + z.apex
    h_owner, _ = z.nsec3_owner(owner)
    n3 = [r for r in z.nsec3_records() if r.key == h_owner]
    if not n3:
        raise NotApplicable('%s has no NSEC3' % owner)
    z.remove(n3 + z.sigs(h_owner, NSEC3))
    z.expect(owner, NSEC3, 'nsec3-missing', alt_owner=h_owner)


def _unlink_nsec3(z, h_owner, h):
    """Remove the NSEC3 at h_owner and its RRSIG; make the previous NSEC3
    point to its successor.  Returns the previous NSEC3 record."""
    n3 = [r for r in z.nsec3_records() if r.key == h_owner]
    assert len(n3) == 1
    gone = du.Nsec3.parse(n3[0].rdata)
    prev = [r for r in z.nsec3_records()
            if du.Nsec3.parse(r.rdata).next_hash == h]
    if len(prev) != 1:
        raise RuntimeError('%d NSEC3 records point to %s' % (len(prev),
                                                             h_owner))
    z.remove(n3 + z.sigs(h_owner, NSEC3))
    p = du.Nsec3.parse(prev[0].rdata)
    p.next_hash = gone.next_hash
    prev[0].rdata = p.rdata()
    return prev[0]


def c_skip_secure_deleg(z, owner, rtype):
    owner = owner or 'dom04.' + z.apex
    if not z.delegations().get(du.canon_name(owner)):
        raise NotApplicable('%s is not a secure delegation' % owner)
    h_owner, h = z.nsec3_owner(owner)
    if not [r for r in z.nsec3_records() if r.key == h_owner]:
        raise NotApplicable('%s has no NSEC3' % owner)
    prev = _unlink_nsec3(z, h_owner, h)
    z.resign(z.one_sig(prev.owner, NSEC3, z.tag('zsk')))
    z.expect(owner, NSEC3, 'nsec3-missing', alt_owner=h_owner)


def _covers(owner_hash, next_hash, h):
    if owner_hash < next_hash:
        return owner_hash < h < next_hash
    return h > owner_hash or h < next_hash      # last NSEC3 wraps around


def c_clear_optout(z, owner, rtype):
    owner = du.canon_name(owner or 'dom02.' + z.apex)
    z.nsec3params()
    if not any(du.Nsec3.parse(r.rdata).flags & 1 for r in z.nsec3_records()):
        raise NotApplicable('no NSEC3 has the opt-out flag')
    dels = z.delegations()
    if owner not in dels or dels[owner]:
        raise NotApplicable('%s is not an insecure delegation' % owner)
    h_owner, h = z.nsec3_owner(owner)
    if [r for r in z.nsec3_records() if r.key == h_owner]:
        # ldns-signzone -p sets the flag but keeps every NSEC3: first make
        # a real opt-out span (legitimate), then break it.
        _unlink_nsec3(z, h_owner, h)
    cover = None
    for r in z.nsec3_records():
        n = du.Nsec3.parse(r.rdata)
        oh = du.b32hex_decode(r.owner.split('.')[0])
        if _covers(oh, n.next_hash, h):
            cover = (r, n, oh)
    if cover is None:
        raise RuntimeError('no NSEC3 covers %s' % owner)
    rec, n, oh = cover
    if not n.flags & 1:
        raise NotApplicable('the span covering %s is not opt-out' % owner)
    n.flags &= ~1
    rec.rdata = n.rdata()
    z.resign(z.one_sig(rec.owner, NSEC3, z.tag('zsk')))
    # every insecure delegation without NSEC3 inside that span
    have = {r.key for r in z.nsec3_records()}
    names = []
    for d, secure in dels.items():
        if secure:
            continue
        dh_owner, dh = z.nsec3_owner(d)
        if dh_owner not in have and _covers(oh, n.next_hash, dh):
            names.append(d)
    assert owner in names
    for d in [owner] + sorted(set(names) - {owner}):
        z.expect(d, '-', 'nsec3-optout')


def c_wrong_bitmap(z, owner, rtype):
    owner = owner or 'www.' + z.apex
    rtype = rtype or 1          # the type removed from the bitmap
    tn = du.type_name(rtype)
    if any(r.rtype == NSEC for r in z.recs):
        recs = [r for r in z.rrset(owner, NSEC)]
        if len(recs) != 1:
            raise NotApplicable('%d NSEC at %s' % (len(recs), owner))
        nxt, types = du.nsec_parse(recs[0].rdata)
        if rtype not in types:
            raise NotApplicable('no %s at %s' % (tn, owner))
        recs[0].rdata = du.nsec_rdata(nxt, [t for t in types if t != rtype])
        z.resign(z.one_sig(owner, NSEC, z.tag('zsk')))
        z.expect(owner, NSEC, 'nsec-bitmap')
    else:
        h_owner, _ = z.nsec3_owner(owner)
        recs = [r for r in z.nsec3_records() if r.key == h_owner]
        if len(recs) != 1:
            raise NotApplicable('%d NSEC3 for %s' % (len(recs), owner))
        n = du.Nsec3.parse(recs[0].rdata)
        if rtype not in n.types:
            raise NotApplicable('no %s at %s' % (tn, owner))
        n.types = [t for t in n.types if t != rtype]
        recs[0].rdata = n.rdata()
        z.resign(z.one_sig(h_owner, NSEC3, z.tag('zsk')))
        z.expect(owner, NSEC3, 'nsec3-bitmap', alt_owner=h_owner)


def c_wrong_key_referral(z, owner, rtype):
    """The .de failure: the NSEC3 (or NSEC) that a referral to the insecure
    delegation OWNER needs carries a signature by the wrong key."""
    owner = du.canon_name(owner or 'dom02.' + z.apex)
    dels = z.delegations()
    if owner not in dels or dels[owner]:
        raise NotApplicable('%s is not an insecure delegation' % owner)
    if any(r.rtype == NSEC for r in z.recs):
        target, ttype = owner, NSEC
    else:
        h_owner, h = z.nsec3_owner(owner)
        target, ttype = None, NSEC3
        for r in z.nsec3_records():
            n = du.Nsec3.parse(r.rdata)
            oh = du.b32hex_decode(r.owner.split('.')[0])
            if oh == h or _covers(oh, n.next_hash, h):
                target = r.key
                if oh == h:
                    break
        if target is None:
            raise RuntimeError('no NSEC3 matches or covers %s' % owner)
    rec = z.one_sig(target, ttype, z.tag('zsk'))
    z.rogue_sign(rec)
    z.expect(target, ttype, 'sig-bogus', key_tag=z.tag('zsk'))


def c_sign_glue(z, owner, rtype):
    owner, rtype = owner or 'ns1.dom01.' + z.apex, rtype or 1
    o = du.canon_name(owner)
    if not any(o != d and du.is_subdomain(o, d) for d in z.delegations()):
        raise NotApplicable('%s is not below a delegation' % owner)
    if z.sigs(owner, rtype):
        raise NotApplicable('%s %s is already signed' % (owner, rtype))
    z.new_sig(owner, rtype)
    z.expect(owner, rtype, 'sig-unexpected', key_tag=z.tag('zsk'))


def c_unsigned_ds(z, owner, rtype):
    owner = owner or 'dom04.' + z.apex
    sigs = z.sigs(owner, DS)
    if not sigs:
        raise NotApplicable('no RRSIG over %s DS' % owner)
    z.remove(sigs)
    z.expect(owner, DS, 'rrset-unsigned')


def c_none(z, owner, rtype):
    """No defect: the zone only goes through read and write (a control)."""


def c_resign(z, owner, rtype):
    """No defect: re-sign a sample of RRsets (mixed-case owner and RDATA,
    wildcard, apex, denial records, DS, DNSKEY with the KSK) with the
    signer's own keys.  A control for the signing code of this tool."""
    a = z.apex
    todo = [('www.' + a, 1), (a, 15), (a, 2), (a, 6), ('alias.' + a, 5),
            ('mixedcase.' + a, 16), ('mixedcase.' + a, 15),
            ('*.wild.' + a, 1), ('dom04.' + a, DS)]
    if any(r.rtype == NSEC for r in z.recs):
        todo.append(('www.' + a, NSEC))
    else:
        todo.append((z.nsec3_owner('www.' + a)[0], NSEC3))
    # a slightly different inception, so that deterministic algorithms
    # (RSA, Ed25519) too get a new signature
    for o, t in todo:
        rec = z.one_sig(o, t, z.tag('zsk'))
        z.resign(rec, 'zsk', inception=du.Rrsig.parse(rec.rdata).inception - 60)
    rec = z.one_sig(a, DNSKEY, z.tag('ksk'))
    z.resign(rec, 'ksk', inception=du.Rrsig.parse(rec.rdata).inception - 60)


KINDS = {
    'none': c_none,
    'resign': c_resign,
    'flip-sig': c_flip_sig,
    'dup-flip': c_dup_flip,
    'expire-sig': c_expire_sig,
    'drop-sig': c_drop_sig,
    'wrong-key': c_wrong_key,
    'two-thirds': c_two_thirds,
    'drop-ksk-sig': c_drop_ksk_sig,
    'drop-nsec3': c_drop_nsec3,
    'skip-secure-deleg': c_skip_secure_deleg,
    'clear-optout': c_clear_optout,
    'wrong-bitmap': c_wrong_bitmap,
    'wrong-key-referral': c_wrong_key_referral,
    'sign-glue': c_sign_glue,
    'unsigned-ds': c_unsigned_ds,
}




# Which kinds apply to which denial mode (meta.json "denial").
NSEC3_ONLY = ('drop-nsec3', 'skip-secure-deleg')
OPTOUT_ONLY = ('clear-optout',)


def applies(kind, denial):
    if kind in NSEC3_ONLY:
        return denial != 'nsec'
    if kind in OPTOUT_ONLY:
        return denial == 'nsec3-optout'
    return True


def apply(kind, recs, meta, metadir, owner=None, rtype=None):
    """Apply kind to recs (modified in place); returns the expected
    findings as lines 'OWNER TYPE CODE [k=v ...]'.  Raises NotApplicable."""
    z = Zone(recs, meta, metadir)
    hashed = owner and owner.startswith('hash:')
    if hashed:
        owner = owner[5:]
    if owner and not owner.endswith('.'):
        owner += '.' + z.apex
    if hashed:
        owner = z.nsec3_owner(owner)[0]
    if isinstance(rtype, str):
        rtype = du.type_code(rtype)
    KINDS[kind](z, owner, rtype)
    return z.out


def parse_expected(line):
    """'OWNER TYPE CODE k=v ...' -> dict(owner, type, code, **attrs)."""
    f = line.split()
    d = {'owner': f[0], 'type': f[1], 'code': f[2]}
    for kv in f[3:]:
        k, v = kv.split('=', 1)
        d[k] = v
    return d
