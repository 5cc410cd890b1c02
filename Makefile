# almos: top-level build. `make run` and `make test` do all set-up on a fresh Debian machine.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
ALMOS   := $(VENV)/bin/almos
DEB_PKGS := gcc-mipsel-linux-gnu gdb-multiarch mtools dosfstools qemu-user
STAMP   := $(VENV)/.installed

BUSYBOX_DIR := build/busybox
BUSYBOX := $(BUSYBOX_DIR)/bin/busybox

.PHONY: setup run test bench userland libc image image-clean clean lint debs busybox

setup: debs $(STAMP) userland busybox image

# Debian packages, installed only when a tool is missing (needs root or sudo).
debs:
	@missing=""; \
	command -v mipsel-linux-gnu-gcc >/dev/null || missing="$$missing gcc-mipsel-linux-gnu"; \
	command -v gdb-multiarch >/dev/null || missing="$$missing gdb-multiarch"; \
	command -v mcopy >/dev/null || missing="$$missing mtools"; \
	command -v mkfs.fat >/dev/null || [ -x /usr/sbin/mkfs.fat ] || [ -x /sbin/mkfs.fat ] || missing="$$missing dosfstools"; \
	command -v qemu-mipsel >/dev/null || missing="$$missing qemu-user"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml setup.py emulator/native/build.py $(wildcard emulator/native/*.c emulator/native/*.h)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# Debian's busybox-static for mipsel, a Linux o32 program (docs/LINUX.md), for the image's
# /bin/busybox, with a "#!/bin/busybox" file in /bin for each of its applets that no program
# of userland/ names (FAT has no links). Needs root or sudo once, to add the mipsel
# architecture to dpkg; `apt-get download` itself does not.
busybox: $(BUSYBOX)

$(BUSYBOX): | debs userland
	@SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	 dpkg --print-foreign-architectures | grep -qx mipsel || $$SUDO dpkg --add-architecture mipsel; \
	 rm -rf $(BUSYBOX_DIR).tmp && mkdir -p $(BUSYBOX_DIR).tmp/bin && cd $(BUSYBOX_DIR).tmp && \
	 { apt-get download -q busybox-static:mipsel 2>/dev/null || \
	   { $$SUDO apt-get update -qq && apt-get download -q busybox-static:mipsel; }; } && \
	 dpkg-deb -x busybox-static_*_mipsel.deb root && cp root/bin/busybox bin/busybox && \
	 for a in $$(qemu-mipsel bin/busybox --list); do \
	   [ -e "$(CURDIR)/userland/build/$$a" ] || [ "$$a" = busybox ] || \
	     { printf '#!/bin/busybox\n' > "bin/$$a"; chmod +x "bin/$$a"; }; \
	 done && echo "busybox: $$(ls bin | wc -l) files for /bin"
	rm -rf $(BUSYBOX_DIR) && mv $(BUSYBOX_DIR).tmp $(BUSYBOX_DIR)

libc: debs
	$(MAKE) -C libc_stubs

userland: libc
	$(MAKE) -C userland

image: userland busybox $(STAMP)
	$(MAKE) -C images

# The disk image holds the user's files in /home: only this target (not clean) deletes it.
image-clean:
	$(MAKE) -C images image-clean

run: setup
	$(ALMOS) boot images/disk.img

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 tests

bench: setup
	$(PY) bench/bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	-$(MAKE) -C libc_stubs clean
	-$(MAKE) -C userland clean
	-$(MAKE) -C images clean
	rm -rf $(VENV) build *.egg-info emulator/native/_almos_native*
