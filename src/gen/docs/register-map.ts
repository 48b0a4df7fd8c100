/** The register map table: one row per register or array, and one per hole, in offset order, each register linking to its section. */
import { LazyViews } from "../render.js";
import { registerAccess } from "./access-rules.js";
import { elementOffsets, type Layout } from "./register-groups.js";
import { anchor, byteRange, cell, code, hexPad, sentence } from "./markdown.js";
import { sectionHeading } from "./register-sections.js";
import { registerWord } from "./semantics.js";

export function mapRows({ groups, holes, digits }: Layout) {
  const entries = [
    ...groups.map((group) => ({ at: group.first.offset, group })),
    ...holes.map((hole) => ({ at: hole.start, hole })),
  ].sort((a, b) => a.at - b.at);
  return new LazyViews(entries, (entry) => {
    if ("group" in entry) {
      const g = entry.group;
      const r = g.first;
      const isArray = g.elements.length > 1;
      const elements = isArray
        ? ` ${g.elements.length} elements, stride ${hexPad(g.stride, 1)}: ${elementOffsets(g, digits)}.` +
          (g.stride > r.bytes ? " The bytes between elements hold no register." : "")
        : "";
      return {
        offset: isArray ? `${code(hexPad(r.offset, digits))} + n × ${code(hexPad(g.stride, 1))}` : code(hexPad(r.offset, digits)),
        register: `[${isArray ? `${registerWord(r)} (n = 0..${g.elements.length - 1})` : r.name}](#${anchor(sectionHeading(g, digits))})`,
        width: String(r.width),
        access: registerAccess(r),
        reset: code(hexPad(r.reset, r.width / 4)),
        description: cell(`${sentence(r.description)}${elements}`),
      };
    }
    const h = entry.hole;
    return {
      offset: byteRange(h.start, h.end, digits),
      register: "—",
      width: "—",
      access: "reserved",
      reset: "—",
      description: cell(`No register (${h.end - h.start} byte${h.end - h.start > 1 ? "s" : ""}): reads as zero, writes ignored.`),
    };
  });
}
