/**
 * Fetching the default kernel and QEMU trees: the pure parts (apt output parsing, version
 * matching, sources files, edk2 placeholders, the cache) on output captured from a Debian 12
 * machine (test/fixtures/apt/). The real download: test/real/fetch.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import {
  compareDebianVersions,
  parseDeb822,
  parseRelations,
  sourceFiles,
  sourceOf,
  withoutEpoch,
} from "../../src/toolchain/apt.js";
import { headersCommon, imageCandidates, imageNamePattern, pickKernelImage } from "../../src/toolchain/kernel-fetch.js";
import { EMPTY_BZIP2, createEdk2Placeholders, edk2Placeholders, inSeries, pickQemuSource } from "../../src/toolchain/qemu-fetch.js";
import {
  debSrcCodenames,
  ensureDebSrc,
  findDebianMirrors,
  parseSourcesDeb822,
  parseSourcesList,
  renderDevgenSources,
} from "../../src/toolchain/sources.js";
import { buildOnce, isComplete } from "../../src/toolchain/extract.js";
import { cacheEntries, COMPLETE_MARKER, removeCacheEntry, TREE_FILE } from "../../src/toolchain/download-cache.js";
import { cacheRoot } from "../../src/util/cache-dir.js";
import { runFetch } from "../../src/pipeline/fetch.js";
import { DevgenError } from "../../src/util/diagnostics.js";

const FIXTURES = join(process.cwd(), "test", "fixtures", "apt");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

describe("deb822 parsing", () => {
  it("reads apt-cache show stanzas with continuation lines", () => {
    const [source] = parseDeb822(fixture("show-linux-source-6.1.txt"));
    expect(source.Package).toBe("linux-source-6.1");
    expect(source.Version).toBe("6.1.192-2");
    expect(source.Size).toBe("139331676");
    expect(sourceOf(source)).toEqual({ name: "linux", version: "6.1.192-2" });
  });

  it("splits several stanzas and keeps multi-line fields", () => {
    const stanzas = parseDeb822(fixture("showsrc-qemu.txt"));
    expect(stanzas.map((s) => s.Version)).toEqual([
      "1:7.2+dfsg-7+deb12u18",
      "1:7.2+dfsg-7+deb12u15",
      "1:10.0.13+ds-0+deb13u1",
      "1:10.0.2+ds-2+deb13u1",
    ]);
    expect(sourceFiles(stanzas[0])).toEqual([
      { name: "qemu_7.2+dfsg-7+deb12u18.dsc", size: 6909 },
      { name: "qemu_7.2+dfsg.orig.tar.xz", size: 23523172 },
      { name: "qemu_7.2+dfsg-7+deb12u18.debian.tar.xz", size: 405636 },
    ]);
  });

  it("reads the source of a signed image and relations", () => {
    const signed = parseDeb822(fixture("show-linux-image-6.1.txt"))[0];
    expect(sourceOf(signed)).toEqual({ name: "linux-signed-amd64", version: "6.1.192+2" });
    expect(parseRelations(signed["Built-Using"])).toEqual([{ name: "linux", op: "=", version: "6.1.192-2" }]);
    expect(parseRelations("a (= 1), b (>= 2~) | c, d")).toEqual([
      { name: "a", op: "=", version: "1" },
      { name: "b", op: ">=", version: "2~" },
      { name: "d", op: undefined, version: undefined },
    ]);
  });
});

describe("Debian version order", () => {
  const cases: [string, string, number][] = [
    ["6.1.192-2", "6.1.192-1", 1],
    ["6.1.192-2", "6.1.192-2", 0],
    ["6.1.192-1", "6.1.76-1", 1],
    ["1:10.0.13+ds-0+deb13u1", "1:10.0.2+ds-2+deb13u1", 1],
    ["1:7.2+dfsg-7+deb12u18", "1:7.2+dfsg-7+deb12u15", 1],
    ["1:7.2+dfsg-7", "10.0-1", 1],
    ["6.12.117-1~deb12u1", "6.12.117-1", -1],
    ["1.0~rc1", "1.0", -1],
    ["1.0a", "1.0", 1],
    ["1.0+b1", "1.0", 1],
    ["1.0-1", "1.0", 1],
  ];
  it.each(cases)("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(sign);
    expect(Math.sign(compareDebianVersions(b, a)) || 0).toBe(-sign || 0);
  });

  it("agrees with dpkg --compare-versions where dpkg exists", () => {
    if (!existsSync("/usr/bin/dpkg")) return;
    for (const [a, b, sign] of cases) {
      const op = sign > 0 ? "gt" : sign < 0 ? "lt" : "eq";
      expect(() => execFileSync("dpkg", ["--compare-versions", a, op, b])).not.toThrow();
    }
  });

  it("drops the epoch for file names", () => {
    expect(withoutEpoch("1:7.2+dfsg-7+deb12u18")).toBe("7.2+dfsg-7+deb12u18");
    expect(withoutEpoch("6.1.192-2")).toBe("6.1.192-2");
  });
});

describe("kernel resolution", () => {
  it("keeps only the generic amd64 images of the series", () => {
    const names61 = imageCandidates("6.1", fixture("pkgnames-linux-image-6.1.txt"));
    expect(names61).toContain("linux-image-6.1.0-56-amd64");
    expect(names61).toContain("linux-image-6.1.0-56-amd64-unsigned");
    expect(names61.every((n) => !/cloud|rt-|dbg|6\.12/.test(n))).toBe(true);
    const names612 = imageCandidates("6.12", fixture("pkgnames-linux-image-6.12.txt"));
    expect(names612).toContain("linux-image-6.12.117+deb12-amd64-unsigned");
    expect(names612.every((n) => !/cloud|-rt-|dbg/.test(n))).toBe(true);
    expect(imageNamePattern("6.1").test("linux-image-6.12.117+deb12-amd64")).toBe(false);
  });

  it("picks the unsigned 6.1 image built from linux-source's version", () => {
    const [source] = parseDeb822(fixture("show-linux-source-6.1.txt"));
    const choice = pickKernelImage("6.1", sourceOf(source).name, source.Version, parseDeb822(fixture("show-linux-image-6.1.txt")));
    expect(choice).toEqual({
      package: "linux-image-6.1.0-56-amd64-unsigned",
      version: "6.1.192-2",
      release: "6.1.0-56-amd64",
      signed: false,
      size: 70560688,
      parts: [],
    });
  });

  it("falls back to the signed image through Built-Using", () => {
    const images = parseDeb822(fixture("show-linux-image-6.1.txt")).filter((s) => !s.Package.endsWith("-unsigned"));
    const choice = pickKernelImage("6.1", "linux", "6.1.192-2", images);
    expect(choice?.package).toBe("linux-image-6.1.0-56-amd64");
    expect(choice?.signed).toBe(true);
    expect(choice?.release).toBe("6.1.0-56-amd64");
  });

  it("finds no image when the archive has none at the source's version", () => {
    expect(pickKernelImage("6.1", "linux", "6.1.999-1", parseDeb822(fixture("show-linux-image-6.1.txt")))).toBeNull();
    // 6.1.192-1 built ABI 55, not 56.
    expect(pickKernelImage("6.1", "linux", "6.1.192-1", parseDeb822(fixture("show-linux-image-6.1.txt")))?.release).toBe("6.1.0-55-amd64");
  });

  it("resolves 6.12 (source package linux-6.12, ~deb12 version)", () => {
    const [source] = parseDeb822(fixture("show-linux-source-6.12.txt"));
    expect(sourceOf(source).name).toBe("linux-6.12");
    const choice = pickKernelImage("6.12", "linux-6.12", source.Version, parseDeb822(fixture("show-linux-image-6.12.txt")));
    expect(choice?.package).toBe("linux-image-6.12.117+deb12-amd64-unsigned");
    expect(choice?.release).toBe("6.12.117+deb12-amd64");
  });

  it("finds the headers' common package from Depends", () => {
    expect(headersCommon(parseDeb822(fixture("show-linux-headers-6.1.txt"))[0])).toBe("linux-headers-6.1.0-56-common");
    expect(headersCommon(parseDeb822(fixture("show-linux-headers-6.12.txt"))[0])).toBe("linux-headers-6.12.117+deb12-common");
  });
});

describe("qemu resolution", () => {
  const stanzas = parseDeb822(fixture("showsrc-qemu.txt"));
  it("picks the newest source of each series", () => {
    expect(pickQemuSource(stanzas, "7.2")?.Version).toBe("1:7.2+dfsg-7+deb12u18");
    expect(pickQemuSource(stanzas, "10.0")?.Version).toBe("1:10.0.13+ds-0+deb13u1");
    expect(pickQemuSource(stanzas, "9.2")).toBeNull();
  });
  it("matches series on the upstream version", () => {
    expect(inSeries("1:7.2+dfsg-7", "7.2")).toBe(true);
    expect(inSeries("1:7.20+dfsg-7", "7.2")).toBe(false);
    expect(inSeries("1:10.0.13+ds-0", "10.0")).toBe(true);
    expect(inSeries("1:10.0.13+ds-0", "1.0")).toBe(false);
  });
});

describe("edk2 placeholders", () => {
  it("lists the fds of 7.2's pc-bios/meson.build", () => {
    expect(edk2Placeholders(fixture("pc-bios-meson-7.2.build"))).toEqual([
      "edk2-aarch64-code.fd.bz2",
      "edk2-arm-code.fd.bz2",
      "edk2-arm-vars.fd.bz2",
      "edk2-i386-code.fd.bz2",
      "edk2-i386-secure-code.fd.bz2",
      "edk2-i386-vars.fd.bz2",
      "edk2-x86_64-code.fd.bz2",
      "edk2-x86_64-secure-code.fd.bz2",
    ]);
  });
  it("includes 10.0's riscv and loongarch ones, not edk2-licenses.txt", () => {
    const names = edk2Placeholders(fixture("pc-bios-meson-10.0.build"));
    expect(names).toHaveLength(12);
    expect(names).toContain("edk2-riscv-vars.fd.bz2");
    expect(names).toContain("edk2-loongarch64-code.fd.bz2");
    expect(names.some((n) => n.includes("licenses"))).toBe(false);
  });
  it("creates valid empty bzip2 files, keeping existing ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "devgen-edk2-"));
    try {
      mkdirSync(join(dir, "pc-bios"));
      writeFileSync(join(dir, "pc-bios", "meson.build"), fixture("pc-bios-meson-7.2.build"));
      writeFileSync(join(dir, "pc-bios", "edk2-arm-code.fd.bz2"), "real");
      const created = createEdk2Placeholders(dir);
      expect(created).toHaveLength(7);
      expect(readFileSync(join(dir, "pc-bios", "edk2-arm-code.fd.bz2"), "utf8")).toBe("real");
      expect(readFileSync(join(dir, "pc-bios", "edk2-x86_64-code.fd.bz2"))).toEqual(EMPTY_BZIP2);
      if (existsSync("/usr/bin/bzip2") || existsSync("/bin/bzip2")) {
        expect(execFileSync("bzip2", ["-dc", join(dir, "pc-bios", "edk2-x86_64-code.fd.bz2")]).length).toBe(0);
      }
      expect(createEdk2Placeholders(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("apt sources", () => {
  const deb822 = parseSourcesDeb822(fixture("debian.sources"), "/etc/apt/sources.list.d/debian.sources");

  it("finds the configured Debian and security mirrors", () => {
    expect(findDebianMirrors(deb822, "bookworm")).toEqual({
      archive: { uri: "http://deb.debian.org/debian", signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg" },
      security: { uri: "http://deb.debian.org/debian-security", signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg" },
    });
  });

  it("reads one-line sources.list entries, options included", () => {
    const list = parseSourcesList(
      "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n" +
        "deb-src http://mirror.example/debian bookworm main\n",
      "/etc/apt/sources.list",
    );
    expect(list).toHaveLength(2);
    expect(findDebianMirrors(list, "bookworm").archive).toEqual({ uri: "http://mirror.example/debian", signedBy: "/k.gpg" });
    expect([...debSrcCodenames(list)]).toEqual(["bookworm"]);
  });

  it("fails with a hint when no Debian entry is configured", () => {
    expect(() => findDebianMirrors([], "bookworm")).toThrow(DevgenError);
  });

  it("renders deb-src entries on the configured hosts", () => {
    const text = renderDevgenSources(findDebianMirrors(deb822, "bookworm"), ["trixie", "bookworm"]);
    const parsed = parseSourcesDeb822(text, "devgen-src.sources");
    expect(parsed.map((s) => [s.types, s.uris, s.suites])).toEqual([
      [["deb-src"], ["http://deb.debian.org/debian"], ["bookworm", "trixie"]],
      [["deb-src"], ["http://deb.debian.org/debian-security"], ["bookworm-security", "trixie-security"]],
    ]);
    expect([...debSrcCodenames(parseSourcesDeb822(fixture("devgen-src-before.sources"), "x"))]).toEqual(["bookworm"]);
  });

  it("writes devgen-src.sources only when a codename is missing, keeping earlier ones", () => {
    const apt = mkdtempSync(join(tmpdir(), "devgen-apt-"));
    try {
      mkdirSync(join(apt, "sources.list.d"));
      writeFileSync(join(apt, "sources.list.d", "debian.sources"), fixture("debian.sources"));
      const ours = join(apt, "sources.list.d", "devgen-src.sources");
      expect(ensureDebSrc(["bookworm"], { aptDir: apt })).toBe(true);
      expect(ensureDebSrc(["bookworm"], { aptDir: apt })).toBe(false);
      expect(ensureDebSrc(["trixie"], { aptDir: apt })).toBe(true);
      const suites = parseSourcesDeb822(readFileSync(ours, "utf8"), ours).map((s) => s.suites);
      expect(suites).toEqual([
        ["bookworm", "trixie"],
        ["bookworm-security", "trixie-security"],
      ]);
    } finally {
      rmSync(apt, { recursive: true, force: true });
    }
  });
});

describe("cache", () => {
  it("follows DEVGEN_CACHE, then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(cacheRoot({ DEVGEN_CACHE: "/x/y" }, "/home/u")).toBe("/x/y");
    expect(cacheRoot({ XDG_CACHE_HOME: "/xdg" }, "/home/u")).toBe("/xdg/devgen");
    expect(cacheRoot({}, "/home/u")).toBe("/home/u/.cache/devgen");
    expect(cacheRoot({ XDG_CACHE_HOME: "relative" }, "/home/u")).toBe("/home/u/.cache/devgen");
  });

  it("lists entries with sizes and refuses to delete outside the cache", () => {
    const root = mkdtempSync(join(tmpdir(), "devgen-cache-"));
    try {
      const done = join(root, "kernel", "6.1", "6.1.192-2");
      mkdirSync(done, { recursive: true });
      writeFileSync(join(done, TREE_FILE), JSON.stringify({ sourceVersion: "6.1.192-2" }));
      writeFileSync(join(done, "blob"), Buffer.alloc(100_000));
      mkdirSync(join(root, "qemu", "7.2", "7.2+dfsg-7"), { recursive: true });
      const entries = cacheEntries(root);
      expect(entries.map((e) => [e.name, e.complete])).toEqual([
        ["kernel 6.1 (6.1.192-2)", true],
        ["qemu 7.2 (7.2+dfsg-7) [incomplete]", false],
      ]);
      expect(entries[0].size).toBeGreaterThanOrEqual(100_000);
      expect(() => removeCacheEntry("/etc", root)).toThrow(DevgenError);
      expect(() => removeCacheEntry(root, root)).toThrow(DevgenError);
      removeCacheEntry(entries[1].path, root);
      expect(cacheEntries(root)).toHaveLength(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("redoes an interrupted extraction and reuses a complete one", async () => {
    const root = mkdtempSync(join(tmpdir(), "devgen-once-"));
    try {
      const target = join(root, "tree");
      mkdirSync(target);
      writeFileSync(join(target, "half"), "left by an interrupted run");
      let calls = 0;
      const fill = async (tmp: string): Promise<void> => {
        calls++;
        writeFileSync(join(tmp, "file"), "ok");
      };
      expect(await buildOnce(target, fill)).toBe(true);
      expect(existsSync(join(target, "half"))).toBe(false);
      expect(isComplete(target)).toBe(true);
      expect(existsSync(join(target, COMPLETE_MARKER))).toBe(true);
      expect(await buildOnce(target, fill)).toBe(false);
      expect(calls).toBe(1);
      // A failing fill leaves nothing behind.
      const other = join(root, "other");
      await expect(buildOnce(other, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(existsSync(other)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("rejects unknown series before fetching anything", async () => {
    await expect(runFetch({ kernel: "5.10" })).rejects.toThrow(/unknown kernel version/);
    await expect(runFetch({ qemu: "8.0" })).rejects.toThrow(/unknown QEMU version/);
  });
});
