# SPDX-License-Identifier: GPL-2.0-only
#
# devgen bench (src/harness/bench-level.ts): kernel-harness/kvm_bench.c for each device,
# one sample per line. With devgen.qemu, QEMU runs from the host's root (mounted as level
# full mounts it), so each L3 payload (/bench/<name>-bench.bin) is copied to its scratch space.
#   devgen.rounds=R devgen.reads=N devgen.qemu=PATH devgen.qemu_rounds=Q   the bench's arguments

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	load_kvm || return
	qemu=$(param devgen.qemu "")
	if [ -n "$qemu" ]; then
		mount_host_root || return
	fi
	for bench in /bin/*_kvm_bench; do
		name=$(basename "$bench" _kvm_bench)
		set -- "$(param devgen.rounds 21)" "$(param devgen.reads 2000)"
		if [ -n "$qemu" ]; then
			cp "/bench/$name-bench.bin" "/host$SCRATCH/" &&
			set -- "$@" "$qemu" "$SCRATCH/$name-bench.bin" "$(param devgen.qemu_rounds 5)"
		fi
		"$bench" "$@" 2>&1 || FAILED=1
		echo "# init: $name bench done, up $(uptime_s) s"
	done
	check_dmesg
}
