/** The HTML register map: self-contained, well formed, every register and field, bit positions right. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diagramRows, renderHtmlPage } from "../../src/gen/html/index.js";
import { escapeHtml, inlineHtml } from "../../src/gen/html/html-render.js";
import { compileDevice } from "../../src/compile/index.js";
import { formatDocs, runDocs } from "../../src/pipeline/docs.js";

const xche = compileDevice("devices/xche").device;
const html = renderHtmlPage(xche);

/** The HTML of the register section whose id starts with `<name>-`. */
function section(name: string): string {
  const start = html.indexOf(`<section class="reg" id="${name.toLowerCase()}-`);
  if (start < 0) throw new Error(`no section for ${name}`);
  return html.slice(start, html.indexOf("</section>", start));
}

interface SpanSeen {
  kind: string;
  column: number;
  span: number;
  msb: number;
  lsb: number;
  label: string;
}

function spans(name: string): SpanSeen[] {
  const re = /<div class="span k-([\w]+)[^"]*" style="grid-row: 2; grid-column: (\d+) \/ span (\d+);" title="[^"]*" data-msb="(\d+)" data-lsb="(\d+)"><span>([^<]*)<\/span><\/div>/g;
  return [...section(name).matchAll(re)].map((m) => ({
    kind: m[1]!,
    column: Number(m[2]),
    span: Number(m[3]),
    msb: Number(m[4]),
    lsb: Number(m[5]),
    label: m[6]!,
  }));
}

function resetBits(name: string): string {
  return [...section(name).matchAll(/<div class="rst[^"]*" style="grid-row: 4; grid-column: \d+;">([01])<\/div>/g)].map((m) => m[1]).join("");
}

test("a self-contained page: inline CSS, no script, nothing fetched from elsewhere", () => {
  expect(html.startsWith("<!DOCTYPE html>\n")).toBe(true);
  expect(html).toContain("<style>");
  expect(html).not.toMatch(/<script|<link|@import|url\(|src=|https?:\/\//i);
  expect(html).toContain('<meta charset="utf-8">');
});

test("the page is well formed: every tag closed in order", () => {
  const voids = new Set(["meta", "br", "hr", "img", "input", "link"]);
  const stack: string[] = [];
  const body = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<!DOCTYPE html>/, "").replace(/<style>[\s\S]*?<\/style>/, "");
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>/g)) {
    const [, closing, tag] = m;
    const name = tag!.toLowerCase();
    if (voids.has(name)) continue;
    if (closing) {
      expect(stack.pop()).toBe(name);
    } else {
      stack.push(name);
    }
  }
  expect(stack).toEqual([]);
  // Ids are unique, and every in-page link points at one.
  const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]!);
  expect(new Set(ids).size).toBe(ids.length);
  for (const m of html.matchAll(/href="#([^"]+)"/g)) expect(ids).toContain(m[1]);
});

test("every register has a section, a map row and a diagram; every field is in its diagram and table", () => {
  for (const r of xche.registers) {
    const s = section(r.name);
    expect(s).toContain(`<h3><a href="#`);
    expect(html).toMatch(new RegExp(`<a href="#${r.name.toLowerCase()}-0x[0-9a-f]+">${r.name}</a>`));
    expect(s).toContain('class="diagram"');
    for (const f of r.fields) {
      expect(spans(r.name).map((x) => x.label)).toContain(f.name);
      expect(s).toContain(`<code>${f.name}</code>`);
    }
  }
});

test("xche bit positions, worked out by hand", () => {
  // Columns: 1 is the row labels, bit 31 is column 2, bit 0 is column 33.
  expect(spans("CTRL")).toEqual([
    { kind: "wo", column: 2, span: 1, msb: 31, lsb: 31, label: "RESET" },
    { kind: "reserved", column: 3, span: 28, msb: 30, lsb: 3, label: "reserved" },
    { kind: "rw", column: 31, span: 2, msb: 2, lsb: 1, label: "MODE" },
    { kind: "rw", column: 33, span: 1, msb: 0, lsb: 0, label: "ENABLE" },
  ]);
  expect(spans("INT_STATUS")).toEqual([
    { kind: "reserved", column: 2, span: 30, msb: 31, lsb: 2, label: "reserved" },
    { kind: "w1c", column: 32, span: 1, msb: 1, lsb: 1, label: "REJECTED" },
    { kind: "w1c", column: 33, span: 1, msb: 0, lsb: 0, label: "DONE" },
  ]);
  expect(spans("INT_ENABLE").map((s) => [s.kind, s.msb, s.lsb])).toEqual([
    ["reserved", 31, 2],
    ["rw", 1, 1],
    ["rw", 0, 0],
  ]);
  expect(spans("ID")).toEqual([{ kind: "const", column: 2, span: 32, msb: 31, lsb: 0, label: "ID" }]);
  expect(spans("KEY")).toEqual([{ kind: "rw", column: 2, span: 16, msb: 15, lsb: 0, label: "KEY" }]);
  expect(spans("COUNT")).toEqual([{ kind: "rc", column: 2, span: 8, msb: 7, lsb: 0, label: "COUNT" }]);
  expect(spans("DATA_OUT")[0]!.kind).toBe("ro");
  // Reset rows, msb first: "XCHE" = 0x58434845, KEY 0x5a5a.
  expect(resetBits("ID")).toBe("01011000010000110100100001000101");
  expect(resetBits("KEY")).toBe("0101101001011010");
  expect(resetBits("COUNT")).toBe("00000000");
  // Bit numbers run 31..0 in columns 2..33.
  const numbers = [...section("CTRL").matchAll(/<div class="bitno[^"]*" style="grid-row: 1; grid-column: (\d+);">(\d+)<\/div>/g)];
  expect(numbers.map((m) => Number(m[2]))).toEqual([...Array(32).keys()].reverse());
  expect(numbers.map((m) => Number(m[1]) + Number(m[2]))).toEqual(Array(32).fill(33));
});

test("enum values, access badges, side effects, interrupt and the KVM ABI are on the page", () => {
  const ctrl = section("CTRL");
  expect(ctrl).toContain('<span class="chip is-reset"><b>0</b>PASS</span><span class="chip"><b>1</b>XOR</span><span class="chip"><b>2</b>ADD</span>');
  expect(ctrl).toContain('<span class="badge k-wo">wo</span>');
  expect(ctrl).toContain("Writing CTRL with RESET set calls hook <code>soft_reset</code>: Clear COUNT and DATA_OUT.");
  expect(section("INT_STATUS")).toContain("Writing 1 to DONE or REJECTED clears that bit; writing 0 leaves it.");
  expect(html).toContain('<section class="block" id="interrupt">');
  for (const text of ["KVM_CREATE_XCHE", "KVM_CONFIGURE_XCHE", "KVM_GET_XCHE_STATE", "KVM_SET_XCHE_STATE", "0x4020aefc", "KVM_CAP_XCHE", "struct kvm_xche_config", "XCHE_REG_SCRATCH"]) {
    expect(html).toContain(text);
  }
  // Text is escaped: the ID description's quotes, the uapi block's comments stay text.
  expect(section("ID")).toContain("Identification: ASCII &quot;XCHE&quot;.");
});

test("64-bit registers get two rows; a field the row boundary cuts shows its own bit range", () => {
  const r = {
    ...xche.registers[0]!,
    name: "WIDE",
    width: 64 as const,
    reset: 0x1_0000_0001n,
    fields: [
      { name: "LOW", lsb: 0, msb: 15, width: 16, mask: 0xffffn, access: "rw" as const, reset: 1n, description: "", values: [] },
      { name: "SPLIT", lsb: 24, msb: 39, width: 16, mask: 0xffff000000n, access: "ro" as const, reset: 0n, description: "", values: [] },
    ],
    masks: { ...xche.registers[0]!.masks, defined: 0xff_ff00_ffffn },
  };
  const rows = diagramRows(r);
  expect(rows.map((row) => [row.msb, row.lsb, row.columns])).toEqual([
    [63, 32, 32],
    [31, 0, 32],
  ]);
  expect(rows[0]!.spans.map((s) => [s.label, s.msb, s.lsb])).toEqual([
    ["reserved", 63, 40],
    ["SPLIT[15:8]", 39, 32],
  ]);
  expect(rows[1]!.spans.map((s) => [s.label, s.msb, s.lsb])).toEqual([
    ["SPLIT[7:0]", 31, 24],
    ["reserved", 23, 16],
    ["LOW", 15, 0],
  ]);
  expect(rows[0]!.bits.at(-1)).toMatchObject({ bit: 32, reset: "1" });
  expect(rows[1]!.bits.at(-1)).toMatchObject({ bit: 0, reset: "1" });
});

test("narrow fields get vertical labels and a taller row; wide ones stay horizontal", () => {
  const [row] = diagramRows(xche.registers[2]!); // INT_STATUS
  const rejected = row!.spans.find((s) => s.label === "REJECTED")!;
  expect(rejected.vertical).toBe(true);
  expect(row!.labelHeight).toBeGreaterThan(40);
  const [ctrl] = diagramRows(xche.registers[1]!);
  expect(ctrl!.spans.find((s) => s.label === "MODE")!.vertical).toBe(false);
});

test("inline Markdown becomes escaped HTML", () => {
  expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  expect(inlineHtml("a < b, `x<y>` **wide** [CTRL](#ctrl-0x04) p \\| q")).toBe(
    'a &lt; b, <code>x&lt;y&gt;</code> <strong>wide</strong> <a href="#ctrl-0x04">CTRL</a> p | q',
  );
});

test("the page is deterministic and every example device renders", () => {
  expect(renderHtmlPage(compileDevice("devices/xche").device)).toBe(html);
  for (const dir of ["examples/dma_engine", "examples/hpet_timer", "examples/uart16550"]) {
    const device = compileDevice(dir).device;
    const page = renderHtmlPage(device);
    for (const r of device.registers.filter((x) => x.arrayIndex === null || x.arrayIndex === 0)) {
      expect(page).toContain(`<h3><a href="#`);
      expect(page).toContain(`>${r.arrayName === null ? r.name : r.name + ".."}`);
    }
  }
});

test("devgen docs: Markdown on stdout is the generated docs; HTML goes to a file", () => {
  const md = runDocs({ dir: "devices/xche", format: "md" });
  expect(md.out).toBeNull();
  expect(`${formatDocs(md)}\n`).toBe(fs.readFileSync("generated/xche/docs/xche.md", "utf8"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-docs-"));
  const page = runDocs({ dir: "devices/xche", format: "html", out: dir });
  expect(page.out).toBe(path.join(dir, "xche.html"));
  expect(fs.readFileSync(page.out!, "utf8")).toBe(html);
  expect(formatDocs(page)).toBe(`xche: HTML page written to ${path.join(dir, "xche.html")}`);
  const file = path.join(dir, "sub", "map.md");
  runDocs({ dir: "devices/xche", format: "md", out: file });
  expect(fs.readFileSync(file, "utf8")).toBe(fs.readFileSync("generated/xche/docs/xche.md", "utf8"));
});
