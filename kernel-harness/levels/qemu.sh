# SPDX-License-Identifier: GPL-2.0-only
#
# Level qemu (src/harness/qemu-level.ts): this VM is the guest of the QEMU under test.
# Loads uio and uio_pci_generic (in the order of /modules/qemu.list), binds the device to
# uio_pci_generic, runs the test.
#   devgen.test=NAME      the test program in /bin (default: the only *_qemu_test)
#   devgen.ids=VID:DID    the IDs written to uio_pci_generic's new_id (devices with an interrupt)

level_main() {
	echo "# init: kernel $(uname -r), up $(uptime_s) s"
	ids=$(param devgen.ids "")
	if [ -n "$ids" ]; then
		load_modules /modules/qemu.list || return
		if echo "${ids%%:*} ${ids#*:}" >/sys/bus/pci/drivers/uio_pci_generic/new_id; then
			ok "uio_pci_generic takes ${ids}"
		else
			not_ok "uio_pci_generic takes ${ids}"
		fi
	fi
	find_program _qemu_test "the test program" || return
	echo "# init: running $program, up $(uptime_s) s"
	run_program "$program"
	check_dmesg
}
