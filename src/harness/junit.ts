/** JUnit XML for CI dashboards: one testsuite per level and device, one testcase per check. */

export interface JunitCase {
  name: string;
  ok: boolean;
  detail: string;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
  seconds: number;
  /** What the run was done with (the accelerator, and why it): `<properties>` of the suite. */
  properties?: Record<string, string>;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

export function junitXml(suites: JunitSuite[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"];
  for (const suite of suites) {
    const failures = suite.cases.filter((c) => !c.ok).length;
    lines.push(`  <testsuite name="${escapeXml(suite.name)}" tests="${suite.cases.length}" failures="${failures}" time="${suite.seconds.toFixed(3)}">`);
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      lines.push("    <properties>", ...properties.map(([name, value]) => `      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>`), "    </properties>");
    }
    for (const c of suite.cases) {
      if (c.ok) {
        lines.push(`    <testcase name="${escapeXml(c.name)}"/>`);
      } else {
        lines.push(`    <testcase name="${escapeXml(c.name)}">`, `      <failure message="${escapeXml(c.detail)}"/>`, "    </testcase>");
      }
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}
