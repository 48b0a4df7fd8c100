# SPDX-License-Identifier: GPL-2.0-only
#
# /lib/devgen.sh: what /init and the level scripts share (busybox sh, sourced).

param() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		"$1"=*) echo "${word#*=}"; return ;;
		esac
	done
	echo "$2"
}

FAILED=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILED=1; }
diag() { sed 's/^/# /'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# insmod in the order the list gives (dependencies first), from /modules.
load_modules() {
	list=$1
	for module in $(cat "$list"); do
		if out=$(insmod "/modules/$module" 2>&1); then
			ok "insmod $module"
		else
			not_ok "insmod $module"
			echo "$out" | diag
			dmesg | tail -n 15 | diag
			return 1
		fi
	done
}

# Kernel messages a correct device never causes.
KERNEL_TROUBLE='BUG:|WARNING:|Oops|general protection fault|Call Trace:'
KERNEL_TROUBLE="$KERNEL_TROUBLE|list_(add|del) corruption|refcount_t:|kernel BUG|UBSAN:"

check_dmesg() {
	bad=$(dmesg | grep -E "$KERNEL_TROUBLE" | head -n 40)
	if [ -z "$bad" ]; then
		ok "no kernel BUG, WARNING or oops in dmesg"
	else
		not_ok "no kernel BUG, WARNING or oops in dmesg"
		dmesg | grep -E -A 25 "$KERNEL_TROUBLE" | head -n 60 | diag
	fi
	check_kmemleak
}

# Debug kernels (devgen build --full --debug) have kmemleak, with its periodic scan off:
# scan now. Objects younger than 5 s are never reported, hence the wait, and an object is
# reported only when a scan finds its contents unchanged since the previous one: two scans.
KMEMLEAK=/sys/kernel/debug/kmemleak

check_kmemleak() {
	[ -d /sys/kernel/debug ] || return 0
	[ -e $KMEMLEAK ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -e $KMEMLEAK ] || return 0
	sleep 5
	echo scan >$KMEMLEAK && echo scan >$KMEMLEAK
	leaks=$(cat $KMEMLEAK)
	if [ -z "$leaks" ]; then
		ok "kmemleak finds no unreferenced object"
	else
		not_ok "kmemleak finds no unreferenced object"
		echo "$(echo "$leaks" | grep -c '^unreferenced object') unreferenced objects; kmemleak's report follows" | diag
		# As the kernel prints it, not as TAP diagnostics: the host's splat check reads it.
		echo "$leaks"
	fi
}

# The built kvm modules for this CPU's vendor.
load_kvm() {
	if grep -qw svm /proc/cpuinfo; then
		vendor=kvm-amd
	elif grep -qw vmx /proc/cpuinfo; then
		vendor=kvm-intel
	else
		not_ok "the CPU has SVM or VMX"
		echo "flags: $(grep -m1 '^flags' /proc/cpuinfo)" | diag
		return 1
	fi
	load_modules "/modules/$vendor.list" || return 1
	echo "# init: modules loaded, up $(uptime_s) s"
}

# Sets $program to the one a level runs: devgen.test=NAME, else the only /bin/*SUFFIX; a
# failed check naming WHAT when the initramfs lacks it: find_program SUFFIX WHAT || return
find_program() {
	program=$(param devgen.test "")
	[ -n "$program" ] || program=$(cd /bin && ls *"$1" 2>/dev/null | head -n 1)
	[ -x "/bin/$program" ] && return 0
	not_ok "$2 is in the initramfs"
	return 1
}

# Runs /bin/PROGRAM with its arguments; its exit status decides with its TAP.
run_program() {
	program=$1
	shift
	"/bin/$program" "$@" 2>&1
	status=$?
	[ $status -eq 0 ] || FAILED=1
	echo "# init: $program exited with $status, up $(uptime_s) s"
}

# The host's root, read-only over virtio-9p, at /host, to run the QEMU devgen built from
# it (chroot /host): with proc, sys and dev, and a tmpfs as scratch space at $SCRATCH
# (not /tmp, where the host may keep the very QEMU and payload we run).
SCRATCH=/dev/shm/devgen

mount_host_root() {
	load_modules /modules/9p.list || return 1
	mkdir -p /host
	if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host; then
		not_ok "the host's root is mounted over virtio-9p"
		return 1
	fi
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs devtmpfs /host/dev &&
	mkdir -p "/host$SCRATCH" &&
	mount -t tmpfs tmpfs "/host$SCRATCH" || {
		not_ok "proc, sys, dev and a scratch tmpfs are mounted in the host's root"
		return 1
	}
	echo "# init: host root mounted, up $(uptime_s) s"
}
