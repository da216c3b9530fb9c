// JUnit XML, the report format CI systems (Jenkins, GitLab, GitHub Actions
// reporters) display: one <testsuite> with one <testcase> per step, a
// <failure message> for a failed step and <skipped message> for a skipped one.

export interface JUnitCase {
  name: string;
  classname: string;
  durationMs: number;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
}

export interface JUnitSuite {
  name: string;
  timestamp: string;
  durationMs: number;
  cases: JUnitCase[];
  properties?: Record<string, string>;
}

const escapeXml = (s: string) =>
  s
    // Characters XML 1.0 cannot carry at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(suite: JUnitSuite): string {
  const failures = suite.cases.filter((c) => c.status === 'failed').length;
  const skipped = suite.cases.filter((c) => c.status === 'skipped').length;
  const attrs = (o: Record<string, string | number>) =>
    Object.entries(o)
      .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
      .join('');
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const counts = { tests: suite.cases.length, failures, errors: 0, skipped, time: seconds(suite.durationMs) };
  lines.push(`<testsuites${attrs({ name: suite.name, ...counts })}>`);
  lines.push(`  <testsuite${attrs({ name: suite.name, ...counts, timestamp: suite.timestamp })}>`);
  const props = Object.entries(suite.properties ?? {});
  if (props.length) {
    lines.push('    <properties>');
    for (const [name, value] of props) lines.push(`      <property${attrs({ name, value })}/>`);
    lines.push('    </properties>');
  }
  for (const c of suite.cases) {
    const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: seconds(c.durationMs) })}`;
    const message = c.message ?? '';
    if (c.status === 'passed') lines.push(`${open}/>`);
    else if (c.status === 'failed')
      lines.push(`${open}>`, `      <failure${attrs({ message })}>${escapeXml(message)}</failure>`, '    </testcase>');
    else lines.push(`${open}>`, `      <skipped${attrs({ message })}/>`, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
