/** What devgen needs of the machine beyond packages (those are in src/toolchain/step-needs.ts). */

/** Node versions below this cannot run devgen's dependencies (execa 9). */
export const MIN_NODE = "20.5.0";

/** Free space below which the cache's disk gets a warning: two kernel trees and their builds. */
export const DISK_WARN_BYTES = 15e9;
/** Free space below which a fetch and a build will not fit at all. */
export const DISK_FAIL_BYTES = 5e9;
