# sigil — GNU make build.  See README.md.
#
#   make            build build/sigil
#   make check      install missing dependencies, build with sanitizers, run all tests
#   make demo       run the main job on the embedded default
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
PKGS     := libknot libzscanner libcrypto p11-kit-1 sqlite3 yaml-0.1
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror
CPPFLAGS += -D_GNU_SOURCE -Isrc
CFLAGS   ?= -O2 -g
LDLIBS   += -lpthread

BUILD    ?= build
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS := -O1 -g -fsanitize=thread

LIB_SRC  := $(sort $(wildcard src/util/*.c src/dns/*.c src/crypto/*.c src/verify/*.c \
              src/config/*.c src/hsm/*.c src/keystore/*.c src/keys/*.c src/sign/*.c))
CMD_SRC  := $(sort $(wildcard src/cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/util/*.c tests/dns/*.c tests/crypto/*.c tests/verify/*.c \
              tests/config/*.c tests/hsm/*.c tests/keystore/*.c tests/keys/*.c tests/sign/*.c))

DEPS_STAMP := $(BUILD)/.deps-ok

.SECONDARY:

.PHONY: all check check-unit check-scenario demo install uninstall clean deps format bench bench-keys san fuzz-verify

all: $(BUILD)/sigil

# Installs the Debian packages the build and tests need, once.
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	@sh scripts/install-deps.sh --check >/dev/null 2>&1 || sh scripts/install-deps.sh
	@touch $@

deps:
	sh scripts/install-deps.sh

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# --- release build ---------------------------------------------------------
OBJ_DIR := $(BUILD)/obj
LIB_OBJ := $(LIB_SRC:%.c=$(OBJ_DIR)/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(OBJ_DIR)/%.o)

$(OBJ_DIR)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsigil.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sigil: $(CMD_OBJ) $(BUILD)/libsigil.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libsigil.a $(PKG_LIBS) $(LDLIBS)

# --- sanitizer build for tests -------------------------------------------
SAN_DIR := $(BUILD)/san
SAN_LIB_OBJ  := $(LIB_SRC:%.c=$(SAN_DIR)/%.o)
SAN_CMD_OBJ  := $(CMD_SRC:%.c=$(SAN_DIR)/%.o)
SAN_TEST_BIN := $(TEST_SRC:tests/%.c=$(SAN_DIR)/tests/%)

$(SAN_DIR)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(SAN_DIR)/libsigil.a: $(SAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SAN_DIR)/sigil: $(SAN_CMD_OBJ) $(SAN_DIR)/libsigil.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_CMD_OBJ) $(SAN_DIR)/libsigil.a $(PKG_LIBS) $(LDLIBS)

$(SAN_DIR)/tests/%: $(SAN_DIR)/tests/%.o $(SAN_DIR)/libsigil.a
	$(CC) $(SAN_FLAGS) -o $@ $< $(SAN_DIR)/libsigil.a $(PKG_LIBS) $(LDLIBS)

san: $(SAN_DIR)/sigil $(SAN_TEST_BIN)

# --- ThreadSanitizer build of the command (tests/scenario/threads.t) -----
TSAN_DIR := $(BUILD)/tsan
TSAN_LIB_OBJ := $(LIB_SRC:%.c=$(TSAN_DIR)/%.o)
TSAN_CMD_OBJ := $(CMD_SRC:%.c=$(TSAN_DIR)/%.o)

$(TSAN_DIR)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(PKG_CFLAGS) $(TSAN_FLAGS) -MMD -MP -c $< -o $@

$(TSAN_DIR)/libsigil.a: $(TSAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(TSAN_DIR)/sigil: $(TSAN_CMD_OBJ) $(TSAN_DIR)/libsigil.a
	$(CC) $(TSAN_FLAGS) -o $@ $(TSAN_CMD_OBJ) $(TSAN_DIR)/libsigil.a $(PKG_LIBS) $(LDLIBS)

# --- tests ----------------------------------------------------------------
# Unit tests and scenario tests run against the sanitizer build.
# Pointers into a stack frame that has returned are caught too (ASan leaves
# that check off by default; here it costs nothing measurable).
SAN_ENV = ASAN_OPTIONS=detect_stack_use_after_return=1:$(ASAN_OPTIONS)

check: san $(TSAN_DIR)/sigil
	$(SAN_ENV) SIGIL=$(CURDIR)/$(SAN_DIR)/sigil \
	  SIGIL_TEST_BIN=$(CURDIR)/$(SAN_DIR)/tests \
	  SIGIL_TSAN=$(CURDIR)/$(TSAN_DIR)/sigil \
	  prove -j2 --timer $(SAN_TEST_BIN) tests/scenario/*.t

check-unit: $(SAN_TEST_BIN)
	$(SAN_ENV) prove $(SAN_TEST_BIN)

check-scenario: $(SAN_DIR)/sigil $(TSAN_DIR)/sigil
	$(SAN_ENV) SIGIL=$(CURDIR)/$(SAN_DIR)/sigil \
	  SIGIL_TSAN=$(CURDIR)/$(TSAN_DIR)/sigil prove --timer tests/scenario/*.t

demo: $(BUILD)/sigil
	sh scripts/demo.sh $(BUILD)/sigil

bench: $(BUILD)/sigil
	sh bench/verify-bench.sh

bench-keys: $(BUILD)/sigil
	bash bench/keys-bench.sh

# --- install --------------------------------------------------------------
install: $(BUILD)/sigil
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/sigil $(DESTDIR)$(BINDIR)/sigil
	install -m 644 docs/sigil.1 docs/sigil-verify.1 docs/sigil-testbed.1 docs/sigil-hsm.1 docs/sigil-keys.1 docs/sigil-sign.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sigil $(DESTDIR)$(MANDIR)/man1/sigil.1 $(DESTDIR)$(MANDIR)/man1/sigil-verify.1 $(DESTDIR)$(MANDIR)/man1/sigil-testbed.1 $(DESTDIR)$(MANDIR)/man1/sigil-hsm.1 $(DESTDIR)$(MANDIR)/man1/sigil-keys.1 $(DESTDIR)$(MANDIR)/man1/sigil-sign.1

# Fuzzing (clang's libFuzzer): not part of check, it runs until stopped.
FUZZ_DIR := $(BUILD)/fuzz
fuzz-verify: $(FUZZ_DIR)/verify

$(FUZZ_DIR)/verify: tests/fuzz/verify.c $(LIB_SRC) | $(DEPS_STAMP)
	@mkdir -p $(FUZZ_DIR)
	clang $(WARN) $(CPPFLAGS) $(PKG_CFLAGS) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -o $@ tests/fuzz/verify.c $(LIB_SRC) \
	  $(PKG_LIBS) $(LDLIBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(SAN_LIB_OBJ:.o=.d) $(SAN_CMD_OBJ:.o=.d) \
  $(SAN_TEST_BIN:=.d) $(TSAN_LIB_OBJ:.o=.d) $(TSAN_CMD_OBJ:.o=.d)
