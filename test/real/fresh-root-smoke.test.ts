/**
 * The fresh Debian 12 root the bare-machine tests run devgen in: node runs there, the build
 * tools do not, apt reaches the network, the cache overlay keeps the host's cache as it was,
 * and dispose leaves nothing mounted. Runs only with DEVGEN_REAL=1, as root.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "../../src/util/cache-dir.js";
import { makeFreshRoot, type FreshRoot } from "../helpers/fresh-root.js";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
const TWENTY_MINUTES = 20 * 60 * 1000;
const cache = cacheRoot();
const log = "/var/tmp/devgen-fresh-root-smoke.log";
/** A file of the host's cache the root appends to: through the overlay, the host's copy must stay as it is. */
const probe = path.join(cache, "fresh-root-smoke-probe");

real("the fresh-root helper", () => {
  let root: FreshRoot;

  beforeAll(async () => {
    fs.rmSync(log, { force: true });
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(probe, "host\n");
    root = await makeFreshRoot({ cache, checkout: process.cwd(), devgenCache: cache, log });
  }, TWENTY_MINUTES);

  afterAll(async () => {
    await root?.dispose();
    fs.rmSync(probe, { force: true });
  });

  it("runs the host's node", async () => {
    await expect(root.run("node", ["--version"])).resolves.toEqual({ exitCode: 0, output: process.version });
  });

  it("has none of the build tools devgen installs", async () => {
    // dpkg knows a package some installed one mentions (make) as not-installed; one none mentions (gcc) not at all.
    const notInstalled = /^(not-installed|dpkg-query: no packages found matching \S+)$/;
    for (const pkg of ["gcc", "make", "meson"]) {
      const { output } = await root.run("dpkg-query", ["-W", "-f=${db:Status-Status}", pkg]);
      expect({ pkg, status: output }).toEqual({ pkg, status: expect.stringMatching(notInstalled) });
    }
  });

  it("reaches the Debian mirror with apt", async () => {
    const { exitCode, output } = await root.run("apt-get", ["update"], { timeoutMs: 5 * 60 * 1000 });
    expect({ exitCode, errors: output.split("\n").filter((line) => /^(Err|E|W):/.test(line)) }).toEqual({ exitCode: 0, errors: [] });
  }, TWENTY_MINUTES);

  it("sees the checkout read-only", async () => {
    expect((await root.run("test", ["-f", "package.json"], { cwd: process.cwd() })).exitCode).toBe(0);
    expect((await root.run("touch", [path.join(process.cwd(), "fresh-root-smoke")])).output).toMatch(/Read-only file system/);
  });

  it("writes the cache through an overlay, leaving the host's cache as it was", async () => {
    const created = path.join(cache, "fresh-root-smoke-created");
    const script = `echo root >> ${probe} && echo new > ${created} && cat ${probe}`;
    await expect(root.run("sh", ["-c", script])).resolves.toEqual({ exitCode: 0, output: "host\nroot" });
    expect(fs.readFileSync(probe, "utf8")).toBe("host\n");
    expect(fs.existsSync(created)).toBe(false);
  });

  it("leaves nothing mounted, and the host's own mounts in place, once disposed", async () => {
    const scratch = path.dirname(root.dir);
    await root.dispose();
    const mountPoints = fs
      .readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[4]);
    expect(mountPoints.filter((point) => point?.startsWith(scratch))).toEqual([]);
    expect(["/proc", "/sys", "/dev", "/dev/pts"].filter((point) => !mountPoints.includes(point))).toEqual([]);
    expect(fs.existsSync(scratch)).toBe(false);
  });
});
