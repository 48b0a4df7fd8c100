/**
 * The series Debian ships outside bookworm (issue 13): private apt archives, the split 7.x
 * images, the compiler an image needs, and `--qemu newest` skipping what the archive lists
 * but does not serve. The pure parts run on output captured from sid and trixie-backports
 * (test/fixtures/apt/). The real fetch of Linux 7.3 and the newest QEMU:
 * test/real/fetch-series.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archivePaths, notFoundUrls, NotServedError, parseDeb822, privateArchiveOptions, sourceOf } from "../../src/toolchain/apt.js";
import { DEFAULT_KERNEL, imageCandidates, imageParts, KERNEL_SERIES, KERNEL_SOURCES, pickKernelImage } from "../../src/toolchain/kernel-fetch.js";
import {
  DEFAULT_QEMU,
  firstServed,
  newestCandidates,
  NEWEST_QEMU,
  pickQemuSource,
  QEMU_CHOICES,
  QEMU_SERIES,
  QEMU_SOURCES,
  qemuBuildSeries,
  qemuSeriesOf,
} from "../../src/toolchain/qemu-fetch.js";
import { imageCompiler, moduleModeBlocker } from "../../src/toolchain/image-compiler.js";
import { listsAgeMs, listsNeedUpdate, LISTS_MAX_AGE_MS, openPrivateArchive, renderArchiveSources } from "../../src/toolchain/private-archive.js";
import { parseSourcesDeb822 } from "../../src/toolchain/sources.js";
import { cacheEntries } from "../../src/toolchain/download-cache.js";
import { DevgenError } from "../../src/util/diagnostics.js";

const FIXTURES = join(process.cwd(), "test", "fixtures", "apt");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

describe("the series tables", () => {
  it("declare where each series comes from; the default pair is the newest", () => {
    expect(KERNEL_SERIES).toEqual(["6.1", "6.12", "7.2", "7.3"]);
    expect(KERNEL_SERIES.map((s) => KERNEL_SOURCES[s])).toEqual([
      { suite: "bookworm", apt: "system" },
      { suite: "bookworm", apt: "system" },
      { suite: "sid", apt: "private" },
      { suite: "trixie-backports", apt: "private" },
    ]);
    expect(QEMU_SERIES).toEqual(["7.2", "10.0", "10.2"]);
    expect(QEMU_SOURCES["10.2"]).toEqual({ suite: "sid", apt: "private" });
    expect(QEMU_CHOICES).toEqual(["7.2", "10.0", "10.2", NEWEST_QEMU]);
    expect([DEFAULT_KERNEL, DEFAULT_QEMU]).toEqual(["7.3", "10.2"]);
  });

  it("build every QEMU after 7.x like 10.0, whatever newest finds", () => {
    expect(["7.2", "10.0", "10.2", "11.1", "12.0"].map(qemuBuildSeries)).toEqual(["7.2", "10.0", "10.0", "10.0", "10.0"]);
  });
});

describe("private apt archives", () => {
  const mirror = { uri: "http://deb.debian.org/debian", signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg" };

  it("point apt at their own sources, lists and cache, with no system parts or pins", () => {
    const dir = "/c/apt/sid";
    expect(privateArchiveOptions({ suite: "sid", dir })).toEqual([
      "-o",
      "Dir::Etc::sourcelist=/c/apt/sid/sources.sources",
      "-o",
      "Dir::Etc::sourceparts=/c/apt/sid/sources.list.d",
      "-o",
      "Dir::Etc::preferences=/c/apt/sid/preferences",
      "-o",
      "Dir::Etc::preferencesparts=/c/apt/sid/preferences.d",
      "-o",
      "Dir::State::Lists=/c/apt/sid/lists",
      "-o",
      "Dir::Cache=/c/apt/sid/cache",
    ]);
  });

  it("read binary and source packages of the suite on the machine's mirror and keyring", () => {
    const [entry] = parseSourcesDeb822(renderArchiveSources(mirror, "trixie-backports"), "x");
    expect(entry).toMatchObject({ types: ["deb", "deb-src"], uris: [mirror.uri], suites: ["trixie-backports"], components: ["main"], signedBy: mirror.signedBy });
  });

  it("are created from the machine's Debian entry, and know when their lists are old", () => {
    const root = mkdtempSync(join(tmpdir(), "devgen-archive-"));
    try {
      const apt = join(root, "etc-apt");
      mkdirSync(join(apt, "sources.list.d"), { recursive: true });
      writeFileSync(join(apt, "sources.list.d", "debian.sources"), fixture("debian.sources"));
      const archive = openPrivateArchive("sid", join(root, "cache"), apt);
      expect(archive).toEqual({ suite: "sid", dir: join(root, "cache", "apt", "sid") });
      const paths = archivePaths(archive.dir);
      expect(readFileSync(paths.sources, "utf8")).toBe(renderArchiveSources(mirror, "sid"));
      expect([paths.sourceParts, paths.preferenceParts, join(paths.lists, "partial"), join(paths.cache, "archives", "partial")].every(existsSync)).toBe(true);

      expect(listsAgeMs(archive)).toBeNull();
      writeFileSync(paths.updated, "");
      const sevenHoursAgo = (Date.now() - 7 * 3600_000) / 1000;
      utimesSync(paths.updated, sevenHoursAgo, sevenHoursAgo);
      expect(listsAgeMs(archive)).toBeGreaterThan(LISTS_MAX_AGE_MS);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("show in the cache as entries of their own", () => {
    const root = mkdtempSync(join(tmpdir(), "devgen-cache-apt-"));
    try {
      mkdirSync(join(root, "apt", "sid", "lists"), { recursive: true });
      expect(cacheEntries(root).map((e) => [e.name, e.kind, e.series])).toEqual([["apt sid", "apt", "sid"]]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([
    [null, false, true],
    [60_000, false, false],
    [60_000, true, true],
    [LISTS_MAX_AGE_MS + 1, false, true],
  ] as const)("lists %s ms old, refresh %s: update %s", (age, refresh, update) => {
    expect(listsNeedUpdate(age, refresh)).toBe(update);
  });
});

describe("split kernel images (7.x)", () => {
  const [source] = parseDeb822(fixture("show-linux-source-7.2.txt"));
  const images = parseDeb822(fixture("show-linux-image-7.2.txt"));

  it("keeps the generic image of sid's 7.2, not cloud or -dbg", () => {
    expect(imageCandidates("7.2", fixture("pkgnames-linux-image-7.2.txt"))).toEqual(["linux-image-7.2.13+deb14-amd64"]);
  });

  it("takes the image without Built-Using at the source's version, with the packages it is split into", () => {
    expect(sourceOf(source)).toEqual({ name: "linux", version: "7.2.13-1" });
    expect(pickKernelImage("7.2", "linux", source.Version, images)).toEqual({
      package: "linux-image-7.2.13+deb14-amd64",
      version: "7.2.13-1",
      release: "7.2.13+deb14-amd64",
      signed: true,
      size: 1892,
      parts: ["linux-base-7.2.13+deb14-amd64", "linux-binary-7.2.13+deb14-amd64", "linux-modules-7.2.13+deb14-amd64"],
    });
    expect(pickKernelImage("7.2", "linux", "7.2.12-1", images)).toBeNull();
  });

  it("finds no parts in a 6.x image, whose linux-base is not per release", () => {
    const [image61] = parseDeb822(fixture("show-linux-image-6.1.txt"));
    expect(imageParts(image61, "6.1.0-56-amd64")).toEqual([]);
  });
});

describe("the compiler of Debian's image", () => {
  const config73 = fixture("config-7.3-toolchain.txt");
  const gcc14 = { text: "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0", command: "x86_64-linux-gnu-gcc-14", package: "gcc-14" };

  it("is read from the image's config", () => {
    expect(imageCompiler(config73)).toEqual(gcc14);
    expect(imageCompiler('CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"\nCONFIG_GCC_VERSION=120200\n')).toEqual({
      text: "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0",
      command: "gcc-12",
      package: "gcc-12",
    });
    expect(imageCompiler('CONFIG_CC_VERSION_TEXT="Debian clang version 19.1.7"\nCONFIG_GCC_VERSION=0\nCONFIG_CLANG_VERSION=190107\n')?.package).toBe("clang-19");
    expect(imageCompiler("CONFIG_KVM=m\n")).toBeNull();
  });

  it("blocks module mode only when the machine neither has nor can install it", () => {
    expect(moduleModeBlocker("7.3", gcc14, "missing")).toBe(
      "Debian's 7.3 image was built with gcc-14 (x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0), which this machine does not have " +
        "and its apt sources do not offer: modules built here would not match the image",
    );
    expect(moduleModeBlocker("7.3", gcc14, "installed")).toBeNull();
    expect(moduleModeBlocker("7.3", gcc14, "installable")).toBeNull();
    expect(moduleModeBlocker("6.1", null, "missing")).toBeNull();
  });
});

describe("QEMU newest", () => {
  const sid = parseDeb822(fixture("showsrc-qemu-sid.txt"));
  const bookworm = parseDeb822(fixture("showsrc-qemu.txt"));

  it("names the series of a version", () => {
    expect(["1:10.2.2+ds-1", "1:7.2+dfsg-7+deb12u18", "1:11.0.0~rc2+ds-1", "1:11.1.3+ds-2~bpo13+1"].map(qemuSeriesOf)).toEqual(["10.2", "7.2", "11.0", "11.1"]);
  });

  it("picks 10.2 from sid's list, where 11.1 is listed too", () => {
    expect(pickQemuSource(sid, "10.2")?.Version).toBe("1:10.2.2+ds-1");
  });

  it("orders candidates newest first across suites, each version once, no release candidates", () => {
    const rc = { Package: "qemu", Version: "1:12.0.0~rc1+ds-1" };
    const candidates = newestCandidates([
      { suite: "experimental", stanzas: [rc] },
      { suite: "sid", stanzas: sid },
      { suite: "trixie-backports", stanzas: [{ Package: "qemu", Version: "1:11.1.3+ds-1" }, ...bookworm.slice(0, 1)] },
    ]);
    expect(candidates.map((c) => `${c.stanza.Version} ${c.suite}`)).toEqual([
      "1:11.1.3+ds-1 sid",
      "1:11.1.2+ds-3 sid",
      "1:10.2.2+ds-1 sid",
      "1:7.2+dfsg-7+deb12u18 trixie-backports",
    ]);
  });

  it("recognises apt's 404s", () => {
    expect(notFoundUrls(fixture("apt-source-404.txt").split("\n"))).toEqual([
      "http://deb.debian.org/debian/pool/main/q/qemu/qemu_11.1.3%2bds-1.dsc",
      "http://deb.debian.org/debian/pool/main/q/qemu/qemu_11.1.3%2bds.orig.tar.xz",
      "http://deb.debian.org/debian/pool/main/q/qemu/qemu_11.1.3%2bds-1.debian.tar.xz",
    ]);
    expect(notFoundUrls(["E: Failed to fetch http://x/y  Connection failed"])).toEqual([]);
  });

  const notServed = (): NotServedError => new NotServedError(DevgenError.single("download failed"), ["http://x/404"]);

  it("skips versions the archive lists but does not serve, and takes the next", async () => {
    const tried: string[] = [];
    const found = await firstServed(["11.1.3", "11.1.2", "10.2.2", "10.0.13"], async (v) => {
      tried.push(v);
      if (v.startsWith("11.")) throw notServed();
      return `tree ${v}`;
    });
    expect(found).toBe("tree 10.2.2");
    expect(tried).toEqual(["11.1.3", "11.1.2", "10.2.2"]);
  });

  it("takes a newer release as soon as it is served, with no change to devgen", async () => {
    const found = await firstServed(["11.1.3", "10.2.2"], async (v) => `tree ${v}`);
    expect(found).toBe("tree 11.1.3");
  });

  it("stops on any other failure, and finds nothing when nothing is served", async () => {
    await expect(firstServed(["11.1.3"], async () => Promise.reject(DevgenError.single("network down")))).rejects.toThrow("network down");
    expect(await firstServed(["11.1.3"], async () => Promise.reject(notServed()))).toBeNull();
  });
});
