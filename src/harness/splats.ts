/**
 * Kernel splats in a guest's console log: the reports a debug kernel prints when the code
 * under test misbehaves (KASAN, UBSAN, lockdep, sleeping in atomic context, kmemleak) and
 * the ones any kernel prints (BUG, WARNING, Oops, general protection fault, refcount_t and
 * list corruption warnings). Read on the host, so a splat counts even when the guest's own
 * dmesg check never ran (a hung or crashed guest) or its pattern list missed it.
 *
 * The formats are Linux 6.1's (mm/kasan/report.c, lib/ubsan.c, kernel/locking/lockdep.c,
 * kernel/sched/core.c, kernel/panic.c, arch/x86/mm/fault.c, mm/kmemleak.c, lib/refcount.c,
 * lib/list_debug.c); 6.12 prints the same first lines.
 */
import * as fs from "node:fs";
import type { Check } from "./level-result.js";

export type SplatKind =
  | "KASAN"
  | "UBSAN"
  | "lockdep"
  | "atomic sleep"
  | "BUG"
  | "WARNING"
  | "oops"
  | "refcount_t"
  | "list corruption"
  | "kmemleak";

export interface Splat {
  kind: SplatKind;
  /** One line naming the report, without addresses that change from run to run where possible. */
  title: string;
  /** 1-based line of the console log where the report starts. */
  line: number;
  /** The report's first lines, timestamps removed. */
  report: string[];
}

/** Lines of each report kept for the user: the header and the top of the stack. */
export const REPORT_LINES = 20;

/** WARN() and BUG() print this before their message; everything up to the WARNING line is the message. */
const CUT_HERE = "------------[ cut here ]------------";
/** The messages WARN() prints for refcount_t misuse and list corruption (CHECK_DATA_CORRUPTION). */
const REFCOUNT_MESSAGE = /^refcount_t: /;
const LIST_MESSAGE = /^list_(?:add|del) corruption\b/;

/**
 * A console line without what printk and the console add: the "[   12.345678]" timestamp
 * (PRINTK_TIME), the "[T123]" caller id (PRINTK_CALLER) and a "<4>" level.
 */
export function kernelText(line: string): string {
  return line
    .replace(/\r/g, "")
    .replace(/^<\d>/, "")
    .replace(/^\[\s*\d+\.\d+\]\s?/, "")
    .replace(/^\[\s*[TC]\d+\]\s?/, "");
}

/** "func+0x1f/0x80" → "func": offsets change with every build. */
function withoutOffsets(text: string): string {
  return text.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, "");
}

/** Allocator frames of a kmemleak backtrace, skipped to name the code that allocated. */
const ALLOCATOR_FRAME =
  /^(?:__?kmalloc\w*|kmalloc\w*|kzalloc\w*|kcalloc\w*|krealloc\w*|kvmalloc\w*|kvzalloc\w*|__kvmalloc\w*|kvcalloc\w*|kmem_cache_alloc\w*|__kmem_cache_alloc\w*|slab_\w+|__slab_\w+|kmemleak_\w+|__do_kmalloc\w*|alloc_pages\w*|__alloc_pages\w*|__?vmalloc\w*|kstrdup\w*|kmemdup\w*)$/;

/** The first frame of a kmemleak backtrace that is not an allocator: "xche_create [kvm]". */
function allocationSite(lines: readonly string[], from: number): string | null {
  let inTrace = false;
  for (let i = from + 1; i < lines.length && i < from + 40; i++) {
    const text = lines[i]!;
    if (/^unreferenced object /.test(text)) break;
    if (/^\s*backtrace:/.test(text)) {
      inTrace = true;
      continue;
    }
    if (!inTrace) continue;
    const frame = /^\s*\[<[0-9a-f]+>\]\s+([\w.]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(\s+\[\w+\])?/.exec(text);
    if (!frame) break;
    if (!ALLOCATOR_FRAME.test(frame[1]!)) return `${frame[1]}${frame[2] ?? ""}`;
  }
  return null;
}

/**
 * For a WARNING or kernel BUG line at `at`: where its report starts (the "cut here" line
 * before it, if any) and the message WARN() printed between the two.
 */
function warnMessage(lines: readonly string[], at: number): { start: number; message: string } {
  for (let i = at - 1; i >= 0 && i >= at - 4; i--) {
    if (lines[i] === CUT_HERE) return { start: i, message: lines.slice(i + 1, at).join(" ").trim() };
  }
  const previous = at > 0 ? lines[at - 1]! : "";
  if (REFCOUNT_MESSAGE.test(previous) || LIST_MESSAGE.test(previous)) return { start: at - 1, message: previous.trim() };
  return { start: at, message: "" };
}

interface Found {
  kind: SplatKind;
  title: string;
  /** Index of the report's first line (may be before the matched line: "cut here"). */
  start: number;
}

/** The WARN()/BUG() kinds that name their message rather than their location. */
function warnKind(message: string, fallback: SplatKind): SplatKind {
  if (REFCOUNT_MESSAGE.test(message)) return "refcount_t";
  if (LIST_MESSAGE.test(message)) return "list corruption";
  return fallback;
}

/** Whether line `i` starts a report, and which. */
function matchStart(lines: readonly string[], i: number): Found | null {
  const text = lines[i]!;
  let match: RegExpExecArray | null;
  if (/^BUG: KASAN: /.test(text)) return { kind: "KASAN", title: withoutOffsets(text), start: i };
  if (/^UBSAN: /.test(text)) return { kind: "UBSAN", title: text, start: i };
  if (/^WARNING: suspicious RCU usage/.test(text)) {
    // The next lines: the kernel version, a rule, then "file:line suspicious rcu_dereference_check() usage!".
    const where = lines.slice(i + 1, i + 5).find((l) => /\bsuspicious\b/.test(l));
    return { kind: "lockdep", title: where ? `${text}: ${where.trim()}` : text, start: i };
  }
  if ((match = /^WARNING: CPU: \d+ PID: \d+ at (.+)$/.exec(text))) {
    const { start, message } = warnMessage(lines, i);
    const where = withoutOffsets(match[1]!);
    const kind = warnKind(message, "WARNING");
    const title = kind === "WARNING" ? `WARNING at ${where}${message ? `: ${message}` : ""}` : `${message} (WARNING at ${where})`;
    return { kind, title, start };
  }
  // Every other "WARNING: ..." header comes from lockdep: circular or recursive locking,
  // inconsistent lock state, irq inversion, bad unlock balance, a held lock freed...
  if (/^WARNING: /.test(text)) return { kind: "lockdep", title: text, start: i };
  if (/^BUG: (?:sleeping function called from invalid context|scheduling while atomic)/.test(text)) {
    return { kind: "atomic sleep", title: text.replace(/(scheduling while atomic: [^/]+)\/\d+\/0x[0-9a-f]+/, "$1"), start: i };
  }
  if (/^kernel BUG at .+!$/.test(text)) {
    const { start, message } = warnMessage(lines, i);
    const kind = warnKind(message, "BUG");
    return { kind, title: kind === "BUG" ? text : `${message} (${text})`, start };
  }
  if (/^BUG: /.test(text)) return { kind: "BUG", title: text, start: i };
  if (/^general protection fault\b/.test(text)) return { kind: "oops", title: text.replace(/:\s*[0-9a-f]{4} \[#\d+\].*$/, ""), start: i };
  if (/^Oops: /.test(text)) return { kind: "oops", title: text.replace(/\s*\[#\d+\].*$/, ""), start: i };
  // kmemleak's report is what /sys/kernel/debug/kmemleak shows (the harness prints it). Its
  // "N new suspected memory leaks" kernel line is not a splat: a later scan can find the
  // object referenced again (a transient false positive), and then the report omits it.
  if ((match = /^unreferenced object 0x[0-9a-f]+ \(size (\d+)\):/.exec(text))) {
    const site = allocationSite(lines, i);
    return { kind: "kmemleak", title: `kmemleak: unreferenced object of size ${match[1]}${site ? ` allocated by ${site}` : ""}`, start: i };
  }
  return null;
}

/**
 * Lines after a BUG header within which an Oops header is the same event: a page fault
 * prints "BUG: unable to handle page fault..." (or "BUG: kernel NULL pointer dereference"),
 * two "#PF:" lines and the page table walk, then "Oops: 0000 [#1]".
 */
const SAME_EVENT_WINDOW = 8;

/** The splats of a console log, in order. A clean log gives []. */
export function findSplats(consoleLog: string): Splat[] {
  const raw = consoleLog.split("\n");
  // The harness's own notes ("# ...") quote kernel messages the console already showed once.
  const lines = raw.map((l) => {
    const text = kernelText(l);
    return text.startsWith("# ") ? "" : text;
  });
  const splats: Splat[] = [];
  let last: Found | null = null;
  for (let i = 0; i < lines.length; i++) {
    const found = matchStart(lines, i);
    if (!found) continue;
    if (found.kind === "oops" && last && (last.kind === "BUG" || last.kind === "oops") && found.start - last.start <= SAME_EVENT_WINDOW) continue;
    last = found;
    splats.push({
      kind: found.kind,
      title: found.title,
      line: found.start + 1,
      report: lines.slice(found.start, found.start + REPORT_LINES),
    });
  }
  return splats;
}

/** The failure message of the harness's splat check: each splat's title, how often, and where to read more. */
export function describeSplats(splats: readonly Splat[], consoleLog: string): string {
  const counts = new Map<string, number>();
  for (const splat of splats) counts.set(splat.title, (counts.get(splat.title) ?? 0) + 1);
  const titles = [...counts].map(([title, count]) => (count > 1 ? `${title} (${count} times)` : title));
  const first = splats[0];
  return [
    `${splats.length} kernel splat${splats.length === 1 ? "" : "s"} in ${consoleLog}:`,
    ...titles.map((t) => `  ${t}`),
    ...(first ? [`first report (line ${first.line}):`, ...first.report.map((l) => `  | ${l}`)] : []),
  ].join("\n");
}

/** The harness check over a VM's whole console log (what the kernel printed, whatever /init managed to check). */
export function splatCheck(consoleLog: string): Check {
  const text = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, "utf8") : "";
  const splats = findSplats(text);
  return { name: "no kernel splat in the console log", ok: splats.length === 0, detail: splats.length ? describeSplats(splats, consoleLog) : "" };
}
