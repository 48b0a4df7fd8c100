# SPDX-License-Identifier: GPL-2.0-only
#
# Level full (src/harness/full-level.ts): the patched QEMU, run from the host's root
# (virtio-9p, read-only) with -accel kvm on the kvm modules loaded here, boots the device's
# L3 payload (its -bios) twice: in-kernel=on, where every access must stay in this kernel,
# and in-kernel=off, where QEMU emulates the device. QEMU traces the calls into the BAR's
# MemoryRegion: none with the in-kernel device, every access without it. Then migration,
# both ways, and the split irqchip refusal.
#   devgen.device=NAME devgen.qemu=PATH devgen.payload=PATH devgen.migrate_payload=PATH
#   devgen.region=NAME devgen.irq=0|1
#                        the -device, QEMU and payloads on the host, the name of the BAR's
#                        MemoryRegion in QEMU's trace, and whether the device has an interrupt
#   devgen.l3_timeout=S  how long one L3 QEMU may run (default 300)

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	load_kvm || return
	mount_host_root || return
	for mode in on off; do
		run_l3 "$mode"
	done
	for mode in on off; do
		run_migration "$mode"
	done
	check_split_irqchip
	check_dmesg
}
# The patched QEMU from the host's root, on this kernel's KVM, with the device behind a
# PCI-to-PCI bridge: l3_qemu PAYLOAD IN_KERNEL [QEMU ARGUMENTS...]
l3_qemu() {
	payload=$1
	in_kernel=$2
	shift 2
	chroot /host timeout -s KILL "$(param devgen.l3_timeout 300)" \
		"$(param devgen.qemu "")" -accel kvm -machine pc,kernel-irqchip=on -cpu qemu64 \
		-m 32 -nodefaults -no-reboot -display none \
		-L /usr/share/seabios -L /usr/share/qemu -bios "$payload" \
		-device pci-bridge,id=devgen_br,chassis_nr=1,shpc=off \
		-device "$(param devgen.device ""),in-kernel=$in_kernel,bus=devgen_br,addr=0x1" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 "$@"
}

# The payload's TAP, its checks named after the run: relay_l3 LABEL FILE
relay_l3() {
	tr -d '\r' <"$2" | sed -E "s/^((not )?ok [0-9]+ - )/\\1$1: /"
}

# isa-debug-exit: QEMU exits with (value << 1) | 1, and the payload writes 0 on success.
check_l3_exit() {
	if [ "$2" -eq 1 ]; then
		ok "$1: the L3 payload ran to its end and passed"
		return 0
	fi
	not_ok "$1: the L3 payload ran to its end and passed"
	echo "QEMU exit status $2" | diag
	tail -n 15 "$3" | diag
	return 1
}

run_l3() {
	mode=$1
	region=$(param devgen.region "")
	out=/host$SCRATCH/l3-$mode.out
	trace=$SCRATCH/l3-$mode.trace
	l3_qemu "$(param devgen.payload "")" "$mode" -monitor none -serial stdio \
		-trace 'memory_region_ops_*' -D "$trace" \
		</dev/null >"$out" 2>"/host$SCRATCH/l3-$mode.err"
	status=$?
	echo "# init: L3 with in-kernel=$mode: QEMU exited with $status, up $(uptime_s) s"
	relay_l3 "in-kernel=$mode" "$out"
	check_l3_exit "in-kernel=$mode" "$status" "/host$SCRATCH/l3-$mode.err" || return
	accesses=$(sed -n 's/^# devgen-full: accesses=\([0-9]*\).*/\1/p' "$out" | tr -d '\r')
	calls=$(grep -c "name '$region'" "/host$trace")
	if [ "$mode" = on ]; then
		if [ -n "$accesses" ] && [ "$accesses" -gt 0 ] && [ "$calls" -eq 0 ]; then
			ok "in-kernel=on: none of the payload's $accesses accesses reached QEMU ($region)"
		else
			not_ok "in-kernel=on: none of the payload's accesses reached QEMU ($region)"
			echo "$calls calls into $region for ${accesses:-?} accesses" | diag
		fi
	elif [ -n "$accesses" ] && [ "$calls" -ge "$accesses" ]; then
		ok "in-kernel=off: QEMU emulated all $accesses accesses ($calls calls into $region)"
	else
		not_ok "in-kernel=off: QEMU emulated every access"
		echo "$calls calls into $region for ${accesses:-?} accesses" | diag
	fi
}

# An in-kernel device with an interrupt raises its GSI in KVM's irqchip: with the irqchip
# split between QEMU and KVM, in-kernel=on cannot be honoured and must stop QEMU with a
# message, not fall back to emulation. Without an interrupt it needs no irqchip and runs.
check_split_irqchip() {
	err=/host$SCRATCH/split-irqchip.err
	l3_qemu "$(param devgen.payload "")" on -machine kernel-irqchip=split -monitor none \
		-serial none </dev/null >/dev/null 2>"$err"
	status=$?
	# Exit status 1 is both QEMU's refusal and the payload's pass: stderr tells them apart.
	if [ "$(param devgen.irq 1)" = 0 ]; then
		name="in-kernel=on with a split irqchip: a device without an interrupt runs and passes"
		[ $status -eq 1 ] && ! grep -q "in-kernel=on, but" "$err"
	else
		name="in-kernel=on with a split irqchip: QEMU refuses to start and says why"
		grep -q "in-kernel=on, but it needs kernel-irqchip=on" "$err"
	fi
	if [ $? -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "QEMU exit status $status" | diag
		tail -n 5 "$err" | diag
	fi
}

# Waits (up to 60 s) until FILE has a line matching the extended regular expression
# PATTERN, sending COMMAND to the monitor on fd 3 before each look when one is given
# (the monitor ends its lines with \r\n): wait_for FILE PATTERN [COMMAND]
wait_for() {
	tries=0
	until grep -qE "$2" "$1" 2>/dev/null; do
		[ -n "$3" ] && echo "$3" >&3
		tries=$((tries + 1))
		[ $tries -gt 300 ] && return 1
		sleep 0.2
	done
}

# Migration: the migration payload runs half the vectors and waits; the source QEMU
# migrates to a file and quits; a destination QEMU loads it, CMOS byte 0x50 is set through
# its monitor (the payload's signal to go on), and the other half runs there.
run_migration() {
	mode=$1
	dir=$SCRATCH/migrate-$mode
	mkdir -p "/host$dir"
	mkfifo "/host$dir/monitor-source" "/host$dir/monitor-destination"
	label="in-kernel=$mode, migrated"

	l3_qemu "$(param devgen.migrate_payload "")" "$mode" -serial "file:$dir/source.out" \
		-monitor stdio <"/host$dir/monitor-source" >"/host$dir/source.monitor" 2>&1 &
	source=$!
	exec 3>"/host$dir/monitor-source"
	if ! wait_for "/host$dir/source.out" "devgen-migrate: ready"; then
		exec 3>&-
		relay_l3 "$label" "/host$dir/source.out"
		not_ok "$label: the source reaches the point of migration"
		tail -n 15 "/host$dir/source.monitor" | diag
		return
	fi
	echo "migrate \"exec:cat > $dir/state\"" >&3
	# "Migration status: completed" until 10.0, "Status:<tabs>completed" from 10.2.
	wait_for "/host$dir/source.monitor" "(Migration status|Status):[[:space:]]+completed" "info migrate"
	migrated=$?
	echo quit >&3
	exec 3>&-
	wait $source
	if [ $migrated -ne 0 ]; then
		relay_l3 "$label" "/host$dir/source.out"
		not_ok "$label: the source's state is saved"
		tail -n 15 "/host$dir/source.monitor" | diag
		return
	fi

	l3_qemu "$(param devgen.migrate_payload "")" "$mode" -serial "file:$dir/destination.out" \
		-incoming "exec:cat $dir/state" -S \
		-monitor stdio <"/host$dir/monitor-destination" >"/host$dir/destination.monitor" 2>&1 &
	destination=$!
	exec 3>"/host$dir/monitor-destination"
	if ! wait_for "/host$dir/destination.monitor" "VM status: paused.?$" "info status"; then
		echo quit >&3
		exec 3>&-
		wait $destination
		not_ok "$label: the destination loads the source's state"
		tail -n 15 "/host$dir/destination.monitor" | diag
		return
	fi
	echo "o/b 0x70 0x50" >&3
	echo "o/b 0x71 0x01" >&3
	echo cont >&3
	wait $destination
	status=$?
	exec 3>&-
	echo "# init: L3 migrated with in-kernel=$mode: QEMU exited with $status, up $(uptime_s) s"
	relay_l3 "$label" "/host$dir/source.out"
	relay_l3 "$label" "/host$dir/destination.out"
	check_l3_exit "$label" "$status" "/host$dir/destination.monitor"
}
