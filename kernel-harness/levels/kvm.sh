# SPDX-License-Identifier: GPL-2.0-only
#
# Level kvm (src/harness/kvm-level.ts): the built kvm modules, then the device's VMM test.
#   devgen.test=NAME       the test program in /bin (default: the only *_kvm_test)
#   devgen.leak_cycles=N   VMs its leak check creates (default: the test's own)

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	load_kvm || return
	find_program _kvm_test "the KVM test program" || return
	run_program "$program" $(param devgen.leak_cycles "")
	check_dmesg
}
