# SPDX-License-Identifier: GPL-2.0-only
#
# Level fuzz (src/harness/fuzz-level.ts): the built kvm modules, then the device's fuzzer.
#   devgen.test=NAME   the fuzzer in /bin (default: the only *_kvm_fuzz)
#   devgen.seconds=N devgen.seed=S devgen.vcpus=V   its arguments

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	load_kvm || return
	find_program _kvm_fuzz "the KVM fuzzer" || return
	run_program "$program" "$(param devgen.seconds 180)" "$(param devgen.seed 1)" "$(param devgen.vcpus 4)"
	check_dmesg
}
