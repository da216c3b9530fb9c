// setIniValue: one key of the chosen sections rewritten, every other byte as it was.
import { describe, expect, it } from 'vitest';
import { iniValue, parseIni, setIniValue } from '../src/lib/drivers/ini.js';

const conf = [
  '[Global]',
  'cluster-id = "c1"',
  '; a comment the admin wrote',
  '',
  '[VirtualCenter "vc-a.example.com"]',
  'user = "k8s-csi@vsphere.local"',
  '  Password = "old"',
  'port = "443"',
  '',
  '[VirtualCenter "vc-b.example.com"]',
  'user = "other@vsphere.local"',
  'password = "keep"',
  '',
].join('\n');
const csiUser = (s: { name: string }) =>
  s.name === 'VirtualCenter' && iniValue(s as never, 'user') === 'k8s-csi@vsphere.local';

describe('setIniValue', () => {
  it("rewrites only the chosen section's key, quoted so the driver reads the exact value back", () => {
    const value = 'n"e\\w;#pw';
    const out = setIniValue(conf, csiUser, 'password', value);
    const changed = out.split('\n').filter((l, i) => l !== conf.split('\n')[i]);
    expect(changed).toEqual(['  password = "n\\"e\\\\w;#pw"']);
    const sections = parseIni(out);
    expect(iniValue(sections[1], 'password')).toBe(value);
    expect(iniValue(sections[2], 'password')).toBe('keep');
  });

  it('leaves the text alone when no section is chosen', () => {
    expect(setIniValue(conf, () => false, 'password', 'x')).toBe(conf);
  });
});
