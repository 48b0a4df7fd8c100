# SPDX-License-Identifier: GPL-2.0-only
#
# Level kvm (src/harness/kvm-level.ts): the built kvm modules, then the device's VMM test.
#   devgen.test=NAME       the test program in /bin (default: the only *_kvm_test)
#   devgen.leak_cycles=N   VMs its leak check creates (default: the test's own)

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	load_kvm || return
	test=$(guest_program _kvm_test)
	if [ ! -x "/bin/$test" ]; then
		not_ok "the KVM test program is in the initramfs"
		return
	fi
	run_program "$test" $(param devgen.leak_cycles "")
	check_dmesg
}
