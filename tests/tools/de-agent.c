/* The faulty signing agent of the .de outage, for tests/scenario/
 * keys-check.t: it makes tokens hold keys that sigil must not trust.
 *
 *   de-agent MODULE PINFILE pair IDHEX LABEL TOKEN...
 *       generates a SEPARATE P-256 pair in each TOKEN with CKA_ID IDHEX
 *       and LABEL, then replaces the public object of every other token
 *       with the first token's point; prints that point (X||Y, hex).
 *   de-agent MODULE PINFILE delete IDHEX TOKEN
 *       destroys the private object(s) with CKA_ID IDHEX on TOKEN.
 *   de-agent MODULE PINFILE dup IDHEX TOKEN
 *       generates one more pair with CKA_ID IDHEX on TOKEN.
 *   de-agent MODULE PINFILE count - TOKEN
 *       prints the number of key objects (private, public, secret) on
 *       TOKEN.
 *   de-agent MODULE PINFILE pub IDHEX TOKEN
 *       replaces the public object with CKA_ID IDHEX on TOKEN by one
 *       holding the point of an unrelated new pair.
 *
 * Exit 0 on success, 1 on any failure (with a message on stderr).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *f;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                               0xce, 0x3d, 0x03, 0x01, 0x07};

static int fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "de-agent: %s: 0x%lx\n", what, (unsigned long)rv);
	return 1;
}

/* A logged-in read-write session on the token labelled label. */
static int open_token(const char *label, const char *pin, CK_SESSION_HANDLE *s)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;
	char want[32];
	CK_RV rv;
	size_t len = strlen(label);

	memset(want, ' ', sizeof(want));
	memcpy(want, label, len < 32 ? len : 32);
	rv = f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		return fail("C_GetSlotList", rv);
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    memcmp(ti.label, want, 32) != 0) {
			continue;
		}
		rv = f->C_OpenSession(slots[i],
		                      CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		                      NULL, s);
		if (rv == CKR_OK) {
			rv = f->C_Login(*s, CKU_USER, (CK_UTF8CHAR *)pin,
			                strlen(pin));
		}
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			return fail("C_OpenSession/C_Login", rv);
		}
		return 0;
	}
	fprintf(stderr, "de-agent: no token %s\n", label);
	return 1;
}

static int generate(CK_SESSION_HANDLE s, CK_BYTE *id, CK_ULONG idlen,
                    const char *label, CK_OBJECT_HANDLE *pub)
{
	CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pt[] = {
		{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_ID, id, idlen},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ATTRIBUTE kt[] = {
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_SIGN, &yes, sizeof(yes)},
		{CKA_ID, id, idlen},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_OBJECT_HANDLE priv;
	CK_RV rv = f->C_GenerateKeyPair(s, &m, pt, 5, kt, 6, pub, &priv);

	return rv == CKR_OK ? 0 : fail("C_GenerateKeyPair", rv);
}

/* Destroys every object of class cls with CKA_ID id. */
static int destroy(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_BYTE *id,
                   CK_ULONG idlen)
{
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                    {CKA_ID, id, idlen}};
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0;
	CK_RV rv = f->C_FindObjectsInit(s, t, 2);

	if (rv == CKR_OK) {
		rv = f->C_FindObjects(s, h, 16, &n);
		f->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
		rv = f->C_DestroyObject(s, h[i]);
	}
	return rv == CKR_OK ? 0 : fail("destroy", rv);
}

/* A token public key object with CKA_ID id holding point. */
static int create_public(CK_SESSION_HANDLE s, CK_BYTE *id, CK_ULONG idlen,
                         const char *label, CK_BYTE *point, CK_ULONG plen)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &no, sizeof(no)},
		{CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
		{CKA_EC_POINT, point, plen},
		{CKA_ID, id, idlen},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_OBJECT_HANDLE pub;
	CK_RV rv = f->C_CreateObject(s, t, 9, &pub);

	return rv == CKR_OK ? 0 : fail("C_CreateObject", rv);
}

int main(int argc, char **argv)
{
	CK_C_GetFunctionList gfl;
	CK_SESSION_HANDLE s;
	CK_BYTE id[128], point[80];
	CK_ULONG idlen = 0;
	CK_OBJECT_HANDLE pub;
	char pin[256];
	FILE *fp;
	void *lib;
	CK_RV rv;

	if (argc < 6) {
		fprintf(stderr, "usage: de-agent MODULE PINFILE pair|delete|"
		                "dup|pub|count IDHEX [LABEL] TOKEN...\n");
		return 2;
	}
	fp = fopen(argv[2], "r");
	if (fp == NULL || fgets(pin, sizeof(pin), fp) == NULL) {
		fprintf(stderr, "de-agent: cannot read %s\n", argv[2]);
		return 1;
	}
	fclose(fp);
	pin[strcspn(pin, "\r\n")] = '\0';
	for (const char *h = argv[4]; h[0] && h[1] && idlen < sizeof(id);
	     h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		id[idlen++] = (CK_BYTE)v;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (lib == NULL) {
		fprintf(stderr, "de-agent: %s\n", dlerror());
		return 1;
	}
	*(void **)&gfl = dlsym(lib, "C_GetFunctionList");
	if (gfl == NULL || gfl(&f) != CKR_OK) {
		fprintf(stderr, "de-agent: no C_GetFunctionList\n");
		return 1;
	}
	rv = f->C_Initialize(NULL);
	if (rv != CKR_OK) {
		return fail("C_Initialize", rv);
	}
	if (strcmp(argv[3], "delete") == 0) {
		if (open_token(argv[5], pin, &s) != 0 ||
		    destroy(s, CKO_PRIVATE_KEY, id, idlen) != 0) {
			return 1;
		}
	} else if (strcmp(argv[3], "dup") == 0) {
		if (open_token(argv[5], pin, &s) != 0 ||
		    generate(s, id, idlen, "dup", &pub) != 0) {
			return 1;
		}
	} else if (strcmp(argv[3], "count") == 0) {
		CK_OBJECT_HANDLE h[256];
		CK_ULONG n = 0, total = 0;

		if (open_token(argv[5], pin, &s) != 0) {
			return 1;
		}
		rv = f->C_FindObjectsInit(s, NULL, 0);
		while (rv == CKR_OK) {
			rv = f->C_FindObjects(s, h, 256, &n);
			if (rv != CKR_OK || n == 0) {
				break;
			}
			total += n;
		}
		f->C_FindObjectsFinal(s);
		if (rv != CKR_OK) {
			return fail("C_FindObjects", rv);
		}
		printf("%lu\n", (unsigned long)total);
	} else if (strcmp(argv[3], "pub") == 0) {
		CK_ATTRIBUTE a = {CKA_EC_POINT, point, sizeof(point)};
		CK_BYTE other[] = "unrelated";

		if (open_token(argv[5], pin, &s) != 0 ||
		    generate(s, other, sizeof(other), "unrelated", &pub) != 0) {
			return 1;
		}
		rv = f->C_GetAttributeValue(s, pub, &a, 1);
		if (rv != CKR_OK) {
			return fail("C_GetAttributeValue", rv);
		}
		if (destroy(s, CKO_PUBLIC_KEY, id, idlen) != 0 ||
		    create_public(s, id, idlen, "swapped", point,
		                  a.ulValueLen) != 0) {
			return 1;
		}
	} else if (strcmp(argv[3], "pair") == 0 && argc >= 7) {
		CK_ULONG plen = 0;

		for (int i = 6; i < argc; i++) {
			CK_ATTRIBUTE a = {CKA_EC_POINT, point, sizeof(point)};

			if (open_token(argv[i], pin, &s) != 0 ||
			    generate(s, id, idlen, argv[5], &pub) != 0) {
				return 1;
			}
			if (i == 6) {
				rv = f->C_GetAttributeValue(s, pub, &a, 1);
				if (rv != CKR_OK) {
					return fail("C_GetAttributeValue", rv);
				}
				plen = a.ulValueLen;
				continue;
			}
			/* The .de agent: the first token's public key
			 * everywhere, over a private key that does not
			 * match it. */
			if (destroy(s, CKO_PUBLIC_KEY, id, idlen) != 0 ||
			    create_public(s, id, idlen, argv[5], point, plen) !=
			            0) {
				return 1;
			}
		}
		/* DER OCTET STRING 04 41 04 X Y, or the bare point. */
		for (CK_ULONG i = plen - 64; i < plen; i++) {
			printf("%02x", point[i]);
		}
		printf("\n");
	} else {
		fprintf(stderr, "de-agent: unknown command %s\n", argv[3]);
		return 2;
	}
	f->C_Finalize(NULL);
	return 0;
}
